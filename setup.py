"""Only the compiled part: everything else is in pyproject.toml.

The extension is optional: without a C compiler the package installs and runs on its Python
code paths (same results, slower reading of posts).
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("classify.text._kernels", ["classify/text/_kernels.c"],
                             extra_compile_args=["-O2"], optional=True)])
