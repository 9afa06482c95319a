/* Compiled loops for the per-text steps of reading posts: the ru/en language shortcut
 * (classify.text.lang._shortcut), the normalised text behind duplicate keys
 * (classify.text.normalize.normalized_bytes) and the links and hashtags of plain text
 * (classify.ingest.entities.scan_plain).
 *
 * Both work on an Arrow string column as (offsets, UTF-8 bytes). The Python functions stay the
 * definition: every character property used here (case, whitespace, word characters, the
 * letter classes, the word lists) comes from Python through configure(), and a text with a
 * character whose lower-casing this code does not reproduce is handed back undecided
 * (DEFER / None), for the Python function to settle.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define TABLE_SIZE 0x20000 /* code points with properties: the BMP and plane 1 (emoji) */

/* flags[code point] bits, set by configure() from Python's own str methods and patterns */
#define F_LANG_SIMPLE 1   /* the shortcut may see it: lower() is itself, or ASCII / basic Cyrillic */
#define F_SPACE 2         /* str.isspace() */
#define F_WORD 4          /* matched by the pattern \w */
#define F_NON_RUSSIAN 8   /* a letter of another Cyrillic alphabet */
#define F_RUSSIAN_ONLY 16 /* ы э ё, either case */
#define F_KEY_SYMBOL 32   /* removed from normalised text */
#define F_LANG_SYMBOL 64  /* blanked from what the language model reads (lang._SYMBOLS) */

#define CODE_EMPTY 0
#define CODE_OPEN 1
#define CODE_RU 2
#define CODE_EN 3
#define CODE_DEFER 4

#define WORD_SLOTS 256
#define MAX_WORD_CHARS 10

typedef struct {
    uint64_t keys[WORD_SLOTS]; /* packed word, 0 = empty slot */
    uint8_t index[WORD_SLOTS]; /* the word's number, for counting distinct words */
} WordSet;

static uint8_t flags[TABLE_SIZE];
static uint8_t letter_classes[256];
static WordSet russian_words, english_words;
static int min_letters;
static int configured = 0;

static inline unsigned slot_of(uint64_t key) {
    return (unsigned)((key * 0x9E3779B97F4A7C15ULL) >> 56);
}

static int fill_words(WordSet *set, Py_buffer *packed) {
    memset(set, 0, sizeof *set);
    Py_ssize_t count = packed->len / 8;
    if (count > 64) {
        PyErr_SetString(PyExc_ValueError, "at most 64 words per list");
        return -1;
    }
    const uint64_t *keys = packed->buf;
    for (Py_ssize_t i = 0; i < count; i++) {
        unsigned slot = slot_of(keys[i]);
        while (set->keys[slot]) slot = (slot + 1) % WORD_SLOTS;
        set->keys[slot] = keys[i];
        set->index[slot] = (uint8_t)i;
    }
    return 0;
}

/* The word's number in the set, or -1. */
static inline int find_word(const WordSet *set, uint64_t key) {
    unsigned slot = slot_of(key);
    while (set->keys[slot]) {
        if (set->keys[slot] == key) return set->index[slot];
        slot = (slot + 1) % WORD_SLOTS;
    }
    return -1;
}

static void fill_kept_tables(void);

static PyObject *configure(PyObject *self, PyObject *args) {
    Py_buffer table, classes, russian, english;
    int letters;
    if (!PyArg_ParseTuple(args, "y*y*y*y*i", &table, &classes, &russian, &english, &letters)) return NULL;
    PyObject *result = NULL;
    if (table.len != TABLE_SIZE || classes.len != 256 || russian.len % 8 || english.len % 8) {
        PyErr_SetString(PyExc_ValueError, "configure: tables of the wrong size");
        goto done;
    }
    memcpy(flags, table.buf, TABLE_SIZE);
    memcpy(letter_classes, classes.buf, 256);
    if (fill_words(&russian_words, &russian) < 0 || fill_words(&english_words, &english) < 0) goto done;
    min_letters = letters;
    fill_kept_tables();
    configured = 1;
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&table);
    PyBuffer_Release(&classes);
    PyBuffer_Release(&russian);
    PyBuffer_Release(&english);
    return result;
}

/* Decodes at most max_chars code points of UTF-8; returns their number, or -1 for invalid UTF-8. */
static Py_ssize_t decode(const uint8_t *bytes, Py_ssize_t size, uint32_t *out, Py_ssize_t max_chars) {
    Py_ssize_t i = 0, n = 0;
    while (i < size && n < max_chars) {
        uint32_t b = bytes[i], cp;
        int extra;
        if (b < 0x80) { out[n++] = b; i++; continue; }
        if (b >= 0xC2 && b <= 0xDF) { cp = b & 0x1F; extra = 1; }
        else if (b >= 0xE0 && b <= 0xEF) { cp = b & 0x0F; extra = 2; }
        else if (b >= 0xF0 && b <= 0xF4) { cp = b & 0x07; extra = 3; }
        else return -1;
        if (i + extra >= size) return -1;
        for (int k = 1; k <= extra; k++) {
            uint32_t c = bytes[i + k];
            if ((c & 0xC0) != 0x80) return -1;
            cp = (cp << 6) | (c & 0x3F);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return -1;
        out[n++] = cp;
        i += extra + 1;
    }
    return n;
}

static inline uint8_t flags_of(uint32_t cp) {
    return cp < TABLE_SIZE ? flags[cp] : 0;
}

static inline uint32_t lower(uint32_t cp) {
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
    return cp;
}

static inline int is_space(uint32_t cp) { return (flags_of(cp) & F_SPACE) != 0; }
static inline int is_word(uint32_t cp) { return (flags_of(cp) & F_WORD) != 0; }

/* Telegram markdown links [label](target) -> label, as MARKDOWN_LINK.sub(label) does:
 * label without ']' or newline, target without ')' or whitespace. In place; returns the new length. */
static Py_ssize_t keep_link_labels(uint32_t *cp, Py_ssize_t n) {
    Py_ssize_t read = 0, write = 0;
    while (read < n) {
        if (cp[read] == '[') {
            Py_ssize_t end = read + 1;
            while (end < n && cp[end] != ']' && cp[end] != '\n') end++;
            if (end + 1 < n && cp[end] == ']' && cp[end + 1] == '(') {
                Py_ssize_t target = end + 2;
                while (target < n && cp[target] != ')' && !is_space(cp[target])) target++;
                if (target < n && cp[target] == ')') {
                    for (Py_ssize_t k = read + 1; k < end; k++) cp[write++] = cp[k];
                    read = target + 1;
                    continue;
                }
            }
        }
        cp[write++] = cp[read++];
    }
    return write;
}

static inline int starts_with(const uint32_t *cp, Py_ssize_t n, Py_ssize_t at, const char *prefix) {
    for (Py_ssize_t k = 0; prefix[k]; k++)
        if (at + k >= n || cp[at + k] != (uint32_t)(unsigned char)prefix[k]) return 0;
    return 1;
}

static inline int url_char(uint32_t c) {
    return !(is_space(c) || c == '<' || c == '>' || c == '"' || c == '\'' || c == ']' || c == ')');
}

/* Bare URLs (https?://, www., t.me/ and what follows up to a space, quote or bracket) -> " ". */
static Py_ssize_t blank_urls(uint32_t *cp, Py_ssize_t n) {
    Py_ssize_t read = 0, write = 0;
    while (read < n) {
        Py_ssize_t after = -1;
        uint32_t first = cp[read];
        if (first != 'h' && first != 'w' && first != 't') {
            cp[write++] = cp[read++];
            continue;
        }
        if (starts_with(cp, n, read, "https://")) after = read + 8;
        else if (starts_with(cp, n, read, "http://")) after = read + 7;
        else if (starts_with(cp, n, read, "www.")) after = read + 4;
        else if (starts_with(cp, n, read, "t.me/")) after = read + 5;
        if (after >= 0 && after < n && url_char(cp[after])) {
            while (after < n && url_char(cp[after])) after++;
            cp[write++] = ' ';
            read = after;
            continue;
        }
        cp[write++] = cp[read++];
    }
    return write;
}

/* Mentions (an @ not after a word character, then word characters) -> " ". */
static Py_ssize_t blank_mentions(uint32_t *cp, Py_ssize_t n) {
    Py_ssize_t read = 0, write = 0;
    while (read < n) {
        /* The lookbehind reads the input: cp[read - 1] is not yet overwritten (write < read once
         * anything was replaced, and equal to the input before that). */
        if (cp[read] == '@' && read + 1 < n && is_word(cp[read + 1]) && (read == 0 || !is_word(cp[read - 1]))) {
            read++;
            while (read < n && is_word(cp[read])) read++;
            cp[write++] = ' ';
            continue;
        }
        cp[write++] = cp[read++];
    }
    return write;
}

static inline uint8_t lead_byte(uint32_t cp) {
    if (cp < 0x80) return (uint8_t)cp;
    if (cp < 0x800) return (uint8_t)(0xC0 | (cp >> 6));
    if (cp < 0x10000) return (uint8_t)(0xE0 | (cp >> 12));
    return (uint8_t)(0xF0 | (cp >> 18));
}

/* Distinct words of the set among the runs of [first, last] (+ extra) letters of the lower-cased text. */
static int count_words(const uint32_t *cp, Py_ssize_t n, const WordSet *set, uint32_t first, uint32_t last,
                       uint32_t extra, uint32_t base, int needed) {
    uint64_t found = 0, key = 0;
    int length = 0, count = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        uint32_t c = i < n ? lower(cp[i]) : 0;
        if ((c >= first && c <= last) || (extra && c == extra)) {
            key = key * 64 + (c - base + 1);
            length++;
            continue;
        }
        if (length && length <= MAX_WORD_CHARS) {
            int word = find_word(set, key);
            if (word >= 0 && !(found >> word & 1)) {
                found |= 1ULL << word;
                if (++count >= needed) return count;
            }
        }
        key = 0;
        length = 0;
    }
    return count;
}

/* lang._shortcut(lang._strip_links(head)) for a head of simple characters. */
static int shortcut(uint32_t *cp, Py_ssize_t n) {
    n = keep_link_labels(cp, n);
    n = blank_urls(cp, n);
    n = blank_mentions(cp, n);
    int letters = 0, cyrillic = 0, latin = 0, has_i = 0, russian_only = 0, non_russian = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint8_t class = letter_classes[lead_byte(cp[i])];
        if (class != '.') {
            letters++;
            cyrillic += class == 'c';
            latin += class == 'l';
        }
        uint8_t f = flags_of(cp[i]);
        russian_only |= f & F_RUSSIAN_ONLY;
        non_russian |= f & F_NON_RUSSIAN;
        has_i |= cp[i] == 0x438 || cp[i] == 0x418;
    }
    if (letters < min_letters) return CODE_OPEN;
    if (4 * cyrillic >= 3 * letters) {
        if (has_i && russian_only && !non_russian && count_words(cp, n, &russian_words, 0x430, 0x44F, 0x451, 0x430, 2) >= 2)
            return CODE_RU;
        return CODE_OPEN;
    }
    if ((double)latin >= 0.95 * (double)letters && count_words(cp, n, &english_words, 'a', 'z', 0, 'a', 3) >= 3)
        return CODE_EN;
    return CODE_OPEN;
}

typedef struct {
    Py_buffer offsets, data;
    const int64_t *starts;
    Py_ssize_t count;
} Column;

/* Parses (offsets, data), then rows (int64 positions of texts) when asked for, then max_chars when asked for. */
static int open_column(PyObject *args, Column *column, Py_ssize_t *max_chars, Py_buffer *rows) {
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "classify.text._kernels is not configured");
        return -1;
    }
    int ok = rows && max_chars ? PyArg_ParseTuple(args, "y*y*y*n", &column->offsets, &column->data, rows, max_chars)
           : max_chars ? PyArg_ParseTuple(args, "y*y*n", &column->offsets, &column->data, max_chars)
           : rows ? PyArg_ParseTuple(args, "y*y*y*", &column->offsets, &column->data, rows)
                  : PyArg_ParseTuple(args, "y*y*", &column->offsets, &column->data);
    if (!ok) return -1;
    column->starts = column->offsets.buf;
    column->count = column->offsets.len / 8 - 1;
    if (column->offsets.len % 8 || column->count < 0
        || column->starts[column->count] > column->data.len || column->starts[0] < 0) {
        PyBuffer_Release(&column->offsets);
        PyBuffer_Release(&column->data);
        PyErr_SetString(PyExc_ValueError, "offsets do not fit the data");
        return -1;
    }
    for (Py_ssize_t i = 0; i < column->count; i++) {
        if (column->starts[i + 1] < column->starts[i]) {
            PyBuffer_Release(&column->offsets);
            PyBuffer_Release(&column->data);
            PyErr_SetString(PyExc_ValueError, "offsets decrease");
            return -1;
        }
    }
    return 0;
}

static void close_column(Column *column) {
    PyBuffer_Release(&column->offsets);
    PyBuffer_Release(&column->data);
}

/* The rows of a column, checked: 0 with their count in *count, or -1 with an exception set. */
static int checked_rows(const Column *column, const Py_buffer *rows, Py_ssize_t *count) {
    const int64_t *row = rows->buf;
    *count = rows->len / 8;
    for (Py_ssize_t k = 0; k < *count; k++) {
        if (row[k] < 0 || row[k] >= column->count) {
            PyErr_SetString(PyExc_IndexError, "row out of range");
            return -1;
        }
    }
    return 0;
}

/* shortcut_codes(offsets, data, max_chars) -> bytes: per text EMPTY 0, OPEN 1, RU 2, EN 3, DEFER 4. */
static PyObject *shortcut_codes(PyObject *self, PyObject *args) {
    Column column;
    Py_ssize_t max_chars;
    if (open_column(args, &column, &max_chars, NULL) < 0) return NULL;
    PyObject *result = PyBytes_FromStringAndSize(NULL, column.count);
    uint32_t *cp = result ? PyMem_Malloc(sizeof(uint32_t) * (max_chars > 0 ? max_chars : 1)) : NULL;
    if (!cp) {
        Py_XDECREF(result);
        close_column(&column);
        return PyErr_NoMemory();
    }
    char *codes = PyBytes_AS_STRING(result);
    const uint8_t *data = column.data.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < column.count; i++) {
        int64_t start = column.starts[i], size = column.starts[i + 1] - start;
        Py_ssize_t n = decode(data + start, size, cp, max_chars);
        int simple = n >= 0;
        for (Py_ssize_t k = 0; simple && k < n; k++) simple = (flags_of(cp[k]) & F_LANG_SIMPLE) != 0;
        codes[i] = n == 0 ? CODE_EMPTY : simple ? shortcut(cp, n) : CODE_DEFER;
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(cp);
    close_column(&column);
    return result;
}

static inline char *put_utf8(char *out, uint32_t c) {
    if (c < 0x80) *out++ = (char)c;
    else if (c < 0x800) { *out++ = (char)(0xC0 | c >> 6); *out++ = (char)(0x80 | (c & 0x3F)); }
    else if (c < 0x10000) { *out++ = (char)(0xE0 | c >> 12); *out++ = (char)(0x80 | (c >> 6 & 0x3F)); *out++ = (char)(0x80 | (c & 0x3F)); }
    else { *out++ = (char)(0xF0 | c >> 18); *out++ = (char)(0x80 | (c >> 12 & 0x3F)); *out++ = (char)(0x80 | (c >> 6 & 0x3F)); *out++ = (char)(0x80 | (c & 0x3F)); }
    return out;
}

static inline int ascii_alnum(uint32_t c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* One character of UTF-8 at text[i] (i < size): its code point and byte length, or -1 for invalid UTF-8. */
static inline int64_t char_at(const uint8_t *text, Py_ssize_t size, Py_ssize_t i, int *length) {
    if (text[i] < 0x80) {
        *length = 1;
        return text[i];
    }
    uint32_t cp;
    if (decode(text + i, size - i, &cp, 1) != 1) return -1;
    *length = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    return cp;
}

/* What normalize_utf8() keeps of each ASCII character (its lower case, 0: dropped) and of each character
 * U+0400-U+047F written D0/D1 xx (its lower case, ё as е, as two UTF-8 bytes; 0: beyond U+045F). */
static uint8_t kept_ascii[128];
static uint16_t kept_cyrillic[128];

static void fill_kept_tables(void) {
    for (uint32_t c = 0; c < 128; c++) kept_ascii[c] = ascii_alnum(c) ? (uint8_t)lower(c) : 0;
    for (uint32_t k = 0; k < 128; k++) {
        uint32_t c = lower(0x400 + k);
        char bytes[2];
        put_utf8(bytes, c == 0x451 ? 0x435 : c);
        kept_cyrillic[k] = 0x400 + k > 0x45F ? 0 : (uint16_t)((uint8_t)bytes[0] << 8 | (uint8_t)bytes[1]);
    }
}

/* Where the markdown link whose "[" is at t[i] ends (just after its ")"), its label ending at *label_end;
 * 0 when no link starts there (as normalize._MARKDOWN_LINK: label without "]" or newline, target without
 * ")" or whitespace), -1 for invalid UTF-8. */
static Py_ssize_t link_end(const uint8_t *t, Py_ssize_t size, Py_ssize_t i, Py_ssize_t *label_end) {
    Py_ssize_t j = i + 1;
    while (j < size && t[j] != ']' && t[j] != '\n') j++;
    if (j + 1 >= size || t[j] != ']' || t[j + 1] != '(') return 0;
    Py_ssize_t k = j + 2;
    while (k < size && t[k] != ')') {
        int length;
        int64_t c = char_at(t, size, k, &length);
        if (c < 0) return -1;
        if (is_space((uint32_t)c)) return 0;
        k += length;
    }
    if (k >= size) return 0;
    *label_end = j;
    return k + 1;
}

/* normalize.normalized_bytes of one text straight from its UTF-8 into out (kept characters keep their
 * length): markdown links reduced to their labels when links is set, letters lower-cased (ё as е),
 * punctuation, spaces and the key symbols dropped. Returns the length, or -1 when a character is neither
 * ASCII, basic Cyrillic (U+0400-U+045F) nor a key symbol, for Python to decide. */
static Py_ssize_t normalize_utf8(const uint8_t *text, Py_ssize_t size, char *out, int links) {
    char *end = out;
    Py_ssize_t i = 0;
    while (i < size) {
        uint8_t b = text[i];
        if (b == '[' && links) {
            Py_ssize_t label_end, after = link_end(text, size, i, &label_end);
            if (after < 0) return -1;
            if (after > 0) {
                Py_ssize_t length = normalize_utf8(text + i + 1, label_end - i - 1, end, 0);
                if (length < 0) return -1;
                end += length;
                i = after;
                continue;
            }
        }
        if (b < 0x80) {
            if (kept_ascii[b]) *end++ = (char)kept_ascii[b];
            i++;
        } else if ((b == 0xD0 || b == 0xD1) && i + 1 < size && (text[i + 1] & 0xC0) == 0x80) {
            uint16_t kept = kept_cyrillic[(b & 1) << 6 | (text[i + 1] & 0x3F)];
            if (!kept) return -1;
            *end++ = (char)(kept >> 8);
            *end++ = (char)(kept & 0xFF);
            i += 2;
        } else {
            uint32_t c;
            if (decode(text + i, size - i, &c, 1) != 1) return -1;
            if (!(flags_of(c) & F_KEY_SYMBOL)) return -1;
            i += c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        }
    }
    return end - out;
}

static int has_link_mark(const uint8_t *text, Py_ssize_t size) {
    for (const uint8_t *at = text; size > 1 && (at = memchr(at, ']', (size_t)(text + size - 1 - at))) != NULL; at++)
        if (at[1] == '(') return 1;
    return 0;
}

/* canonical_texts(offsets, data) -> list: normalized_bytes of each text, or None where Python must decide. */
static PyObject *canonical_texts(PyObject *self, PyObject *args) {
    Column column;
    if (open_column(args, &column, NULL, NULL) < 0) return NULL;
    PyObject *result = PyList_New(column.count);
    Py_ssize_t longest = 1;
    for (Py_ssize_t i = 0; i < column.count; i++)
        if (column.starts[i + 1] - column.starts[i] > longest) longest = column.starts[i + 1] - column.starts[i];
    char *out = result ? PyMem_Malloc(longest) : NULL;  /* kept characters keep their UTF-8 length */
    if (!out) {
        Py_XDECREF(result);
        close_column(&column);
        return PyErr_NoMemory();
    }
    const uint8_t *data = column.data.buf;
    for (Py_ssize_t i = 0; i < column.count; i++) {
        int64_t start = column.starts[i], size = column.starts[i + 1] - start;
        Py_ssize_t length = normalize_utf8(data + start, size, out, has_link_mark(data + start, size));
        PyObject *item = length < 0 ? Py_NewRef(Py_None) : PyBytes_FromStringAndSize(out, length);
        if (!item) {
            Py_DECREF(result);
            result = NULL;
            break;
        }
        PyList_SET_ITEM(result, i, item);
    }
    PyMem_Free(out);
    close_column(&column);
    return result;
}

static int contains(const uint8_t *text, Py_ssize_t size, const char *part) {
    size_t length = strlen(part);
    const uint8_t *at = text, *end = text + size;
    while ((size_t)(end - at) >= length && (at = memchr(at, part[0], (size_t)(end - at) - length + 1)) != NULL) {
        if (memcmp(at, part, length) == 0) return 1;
        at++;
    }
    return 0;
}

static inline int is_letter(uint8_t byte, char letter) { return (byte | 0x20) == letter; }

/* Length of the URL start entities._URL matches at text[i] (http://, https://, tg://, t.me/, www. in any
 * case, "ſ" for the s), or 0. */
static Py_ssize_t url_start(const uint8_t *p, Py_ssize_t left) {
    if (left >= 7 && is_letter(p[0], 'h') && is_letter(p[1], 't') && is_letter(p[2], 't') && is_letter(p[3], 'p')) {
        if (left >= 8 && is_letter(p[4], 's') && memcmp(p + 5, "://", 3) == 0) return 8;
        if (left >= 9 && p[4] == 0xC5 && p[5] == 0xBF && memcmp(p + 6, "://", 3) == 0) return 9;
        return memcmp(p + 4, "://", 3) == 0 ? 7 : 0;
    }
    if (left >= 5 && is_letter(p[0], 't'))
        return (is_letter(p[1], 'g') && memcmp(p + 2, "://", 3) == 0)
            || (p[1] == '.' && is_letter(p[2], 'm') && is_letter(p[3], 'e') && p[4] == '/') ? 5 : 0;
    if (left >= 4 && is_letter(p[0], 'w') && is_letter(p[1], 'w') && is_letter(p[2], 'w') && p[3] == '.') return 4;
    return 0;
}

/* What ends a URL: [\s<>"'«»] */
static inline int url_stop(int64_t c) {
    return c == '<' || c == '>' || c == '"' || c == '\'' || c == 0xAB || c == 0xBB || is_space((uint32_t)c);
}

static int append_text(PyObject *list, const uint8_t *start, Py_ssize_t length) {
    PyObject *item = PyUnicode_DecodeUTF8((const char *)start, length, "strict");
    if (!item) return -1;
    int failed = PyList_Append(list, item);
    Py_DECREF(item);
    return failed;
}

/* entities.scan_plain of one text into links and hashtags; 1 when done, 0 to leave the text to Python
 * (invalid UTF-8, or a character beyond the tables next to a "#"), -1 on error. */
static int scan_text(const uint8_t *t, Py_ssize_t size, PyObject *links, PyObject *hashtags) {
    if (contains(t, size, "://") || contains(t, size, "www.") || contains(t, size, "t.me/")) {
        Py_ssize_t i = 0;
        while (i < size) {
            Py_ssize_t start = (t[i] | 0x20) == 'h' || (t[i] | 0x20) == 't' || (t[i] | 0x20) == 'w'
                               ? url_start(t + i, size - i) : 0;
            if (!start) {
                i++;
                continue;
            }
            Py_ssize_t end = i + start;
            while (end < size) {
                int length;
                int64_t c = char_at(t, size, end, &length);
                if (c < 0) return 0;
                if (url_stop(c)) break;
                end += length;
            }
            if (end == i + start) {
                i++;
                continue;
            }
            Py_ssize_t kept = end;  /* link.rstrip(_URL_TRAILING) */
            while (kept > i && memchr(".,;:!?)]}", t[kept - 1], 9)) kept--;
            if (append_text(links, t + i, kept - i) < 0) return -1;
            i = end;
        }
    }
    Py_ssize_t from = 0;
    const uint8_t *mark;
    while (from < size && (mark = memchr(t + from, '#', (size_t)(size - from))) != NULL) {
        Py_ssize_t i = mark - t;
        from = i + 1;
        if (i > 0) {  /* the look-behind: no word character or "#" just before */
            Py_ssize_t before = i - 1;
            while (before > 0 && (t[before] & 0xC0) == 0x80) before--;
            int length;
            int64_t c = char_at(t, size, before, &length);
            if (c < 0 || c >= TABLE_SIZE) return 0;
            if (c == '#' || is_word((uint32_t)c)) continue;
        }
        Py_ssize_t end = i + 1;
        while (end < size) {
            int length;
            int64_t c = char_at(t, size, end, &length);
            if (c < 0 || c >= TABLE_SIZE) return 0;
            if (!is_word((uint32_t)c)) break;
            end += length;
        }
        if (end > i + 1) {
            if (append_text(hashtags, t + i, end - i) < 0) return -1;
            from = end;
        }
    }
    return 1;
}

/* scan_texts(offsets, data, rows) -> list: (links, hashtags) of each text at rows (int64), None where
 * Python must decide. */
static PyObject *scan_texts(PyObject *self, PyObject *args) {
    Column column;
    Py_buffer rows;
    if (open_column(args, &column, NULL, &rows) < 0) return NULL;
    const int64_t *row = rows.buf;
    Py_ssize_t count;
    PyObject *result = checked_rows(&column, &rows, &count) < 0 ? NULL : PyList_New(count);
    for (Py_ssize_t k = 0; result && k < count; k++) {
        int64_t start = column.starts[row[k]];
        PyObject *links = PyList_New(0), *hashtags = PyList_New(0), *item = NULL;
        int done = links && hashtags ? scan_text((const uint8_t *)column.data.buf + start,
                                                 column.starts[row[k] + 1] - start, links, hashtags) : -1;
        if (done > 0) item = PyTuple_Pack(2, links, hashtags);
        else if (done == 0) item = Py_NewRef(Py_None);
        Py_XDECREF(links);
        Py_XDECREF(hashtags);
        if (!item) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, k, item);
    }
    PyBuffer_Release(&rows);
    close_column(&column);
    return result;
}

/* Replaces each non-overlapping occurrence of marker (1 or 2 ASCII characters) by one space, left to right,
 * as str.replace does. In place; returns the new length. */
static Py_ssize_t blank_marker(uint32_t *cp, Py_ssize_t n, const char *marker) {
    Py_ssize_t read = 0, write = 0, length = marker[1] ? 2 : 1;
    while (read < n) {
        if (cp[read] == (uint8_t)marker[0] && (length == 1 || (read + 1 < n && cp[read + 1] == (uint8_t)marker[1]))) {
            cp[write++] = ' ';
            read += length;
        } else {
            cp[write++] = cp[read++];
        }
    }
    return write;
}

/* lang.clean_for_lid of a window of code points: links and mentions blanked (as lang._strip_links), the
 * markdown markers blanked, runs of lang._SYMBOLS blanked, whitespace runs joined into single spaces
 * (str.split), cut to max_chars at a space in the second half. In place; returns the new length. */
static Py_ssize_t clean_window(uint32_t *cp, Py_ssize_t n, Py_ssize_t max_chars) {
    static const char *const markers[] = {"**", "__", "~~", "||", "`", "#"};
    n = keep_link_labels(cp, n);
    n = blank_urls(cp, n);
    n = blank_mentions(cp, n);
    for (size_t m = 0; m < sizeof markers / sizeof *markers; m++) n = blank_marker(cp, n, markers[m]);
    Py_ssize_t write = 0;
    int space = 1;  /* at the start, or after a written space: no space to write */
    for (Py_ssize_t read = 0; read < n; read++) {
        uint8_t f = flags_of(cp[read]);
        if (f & (F_SPACE | F_LANG_SYMBOL)) {
            if (!space) cp[write++] = ' ';
            space = 1;
        } else {
            cp[write++] = cp[read];
            space = 0;
        }
    }
    if (write && cp[write - 1] == ' ') write--;
    if (write <= max_chars) return write;
    Py_ssize_t cut = max_chars - 1;
    while (cut >= 0 && cp[cut] != ' ') cut--;
    return cut > max_chars / 2 ? cut : max_chars;
}

/* lid_windows(offsets, data, rows, max_chars) -> list: lang.clean_for_lid(text[:2 * max_chars], max_chars)
 * of each text at rows (int64), None where Python must decide (a character beyond the tables). */
static PyObject *lid_windows(PyObject *self, PyObject *args) {
    Column column;
    Py_buffer rows;
    Py_ssize_t max_chars;
    if (open_column(args, &column, &max_chars, &rows) < 0) return NULL;
    Py_ssize_t window = 2 * (max_chars > 0 ? max_chars : 1);
    const int64_t *row = rows.buf;
    Py_ssize_t count;
    PyObject *result = checked_rows(&column, &rows, &count) < 0 ? NULL : PyList_New(count);
    uint32_t *cp = result ? PyMem_Malloc(sizeof(uint32_t) * window) : NULL;
    if (result && !cp) {
        Py_CLEAR(result);
        PyErr_NoMemory();
    }
    for (Py_ssize_t k = 0; result && k < count; k++) {
        int64_t start = column.starts[row[k]];
        Py_ssize_t n = decode((const uint8_t *)column.data.buf + start, column.starts[row[k] + 1] - start, cp, window);
        int known = n >= 0;
        for (Py_ssize_t i = 0; known && i < n; i++) known = cp[i] < TABLE_SIZE;
        PyObject *item = known ? PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, cp, clean_window(cp, n, max_chars))
                               : Py_NewRef(Py_None);
        if (!item) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, k, item);
    }
    PyMem_Free(cp);
    PyBuffer_Release(&rows);
    close_column(&column);
    return result;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(flags, letter_classes, russian_words, english_words, min_letters): the tables from Python."},
    {"shortcut_codes", shortcut_codes, METH_VARARGS,
     "shortcut_codes(offsets, data, max_chars) -> bytes of codes: 0 empty, 1 open, 2 ru, 3 en, 4 undecided."},
    {"canonical_texts", canonical_texts, METH_VARARGS,
     "canonical_texts(offsets, data) -> list of normalised texts (bytes), None where Python must decide."},
    {"lid_windows", lid_windows, METH_VARARGS,
     "lid_windows(offsets, data, rows, max_chars) -> list of cleaned heads for the language model, None where Python must decide."},
    {"scan_texts", scan_texts, METH_VARARGS,
     "scan_texts(offsets, data, rows) -> list of (links, hashtags) of the texts at rows, None where Python must decide."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", NULL, -1, methods};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
