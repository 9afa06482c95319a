"""Topic models: BERTopic on Telegram posts, offline, guided by the taxonomy, over time.

Fitting needs the ``topics`` extra (``pip install 'telegram-classify[topics]'``);
a saved model assigns topics without BERTopic or torch.

>>> from training.topics import TopicModel, TopicsConfig, save_topic_model, load_topic_model  # doctest: +SKIP
>>> model = TopicModel(config=TopicsConfig(), taxonomy=load_taxonomy()).fit(texts, channels=channels)  # doctest: +SKIP
>>> save_topic_model(model, "models/topics/news")  # doctest: +SKIP
>>> assign_topics(load_topic_model("models/topics/news"), ["Новые санкции против банков"])  # doctest: +SKIP
"""
from training.topics.config import TopicsConfig, load_config
from training.topics.model import OUTLIER, Topic, TopicModel, assign_topics
from training.topics.over_time import topics_over_time
from training.topics.persist import load_topic_model, save_topic_model

__all__ = ["OUTLIER", "Topic", "TopicModel", "TopicsConfig", "assign_topics", "load_config", "load_topic_model",
           "save_topic_model", "topics_over_time"]
