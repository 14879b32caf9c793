"""Chapter 6, imdb_glove (notebook 6.1-using-word-embeddings, cells 16-37): raw reviews,
TextVectorization, a frozen Embedding loaded with GloVe vectors, 200 shuffled training reviews.

The script runs once with GloVe and once without (learned_embedding). What reaches fit and
evaluate is checked against the tarball and the GloVe file read here, without the vocabulary
the script built: every index a row holds is turned back into a word through the frozen
Embedding's weights (row i must be the GloVe vector of the word with index i), so each row reads
as a review's last maxlen words, padded at the start; the training and validation rows are
distinct training reviews with their own labels, shuffled (not the neg-first file order); the
evaluated rows are the test reviews, each once, with their labels."""

import re
import tarfile
from types import SimpleNamespace

import fakedata
import keras
import numpy as np
import pytest
from ch06_helpers import SHORT_BINARY, describe_short, fit_keywords, saved
from support import KerasCalls, isolated_env, own_calls, smoke_args

from chapter06 import imdb_glove
from chapter06.imdb_glove import build_embedding_matrix, parse_glove, texts_to_sequences
from dlwp.data import glove, imdb
from dlwp.data.core import DataFolders
from dlwp.errors import BadData, MissingData, UserError

GLOVE_FULL = imdb_glove.PROFILES["full"]
SMOKE = {"epochs": 1, "maxlen": 20, "training_samples": 50, "validation_samples": 100}
SMOKE |= {"max_words": 10000}
# TextVectorization's default standardization: lower case, this punctuation removed
PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'


@pytest.fixture(scope="module")
def glove_data(tmp_path_factory):
    """Raw IMDB (aclImdb_v1.tar.gz) + word index and a GloVe file, in the real formats."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("glove_data"))
    fakedata.write_imdb_raw(root)
    fakedata.write_glove(root)
    return root


@pytest.fixture(scope="module")
def runs(glove_data, test_cache, tmp_path_factory):
    """The script run once with GloVe, once without: results and what reached Keras."""
    out = {}
    for variant, extra in (("glove", []), ("learned", ["--glove", "none"])):
        folder = tmp_path_factory.mktemp(variant) / "results"
        with pytest.MonkeyPatch.context() as mp, KerasCalls() as calls:
            isolated_env(mp, test_cache)
            result = imdb_glove.main(smoke_args(glove_data, folder, *extra))
        [fit] = calls.of("fit")
        [evaluate] = own_calls(calls.of("evaluate"))
        out[variant] = SimpleNamespace(result=result, fit=fit, evaluate=evaluate, out=folder)
    return out


def _glove_file_vectors(path):
    """The GloVe file read without the code under test."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {w: np.array(v, "float32") for w, *v in (line.split() for line in lines)}


@pytest.fixture(scope="module")
def reviews(glove_data):
    """Every review of the tarball read here: its words as TextVectorization splits them, its
    label from its folder; keyed by its last maxlen words, padded at the start with ''."""
    maxlen = SMOKE["maxlen"]
    by_words, splits = {}, {"train": [], "test": []}
    with tarfile.open(glove_data / "datasets" / "aclImdb_v1.tar.gz") as tar:
        for member in tar.getmembers():
            _, split, label, _ = member.name.split("/")
            text = tar.extractfile(member).read().decode("utf-8")
            words = re.sub(PUNCTUATION, "", text.lower()).split()
            key = ("",) * max(0, maxlen - len(words)) + tuple(words[-maxlen:])
            assert key not in by_words  # every review tells itself apart
            by_words[key] = (split, int(label == "pos"), len(splits[split]))
            splits[split].append(key)
    return SimpleNamespace(by_words=by_words, splits=splits)


def _read_rows(rows, embedding, vectors):
    """Each row's indices turned into words through the Embedding's weights: the word whose GloVe
    vector the weight row is ('' for the all-zero padding row, '?' for no word)."""
    word_of = {v.tobytes(): w for w, v in vectors.items()}
    word_of[np.zeros_like(embedding[0]).tobytes()] = ""
    return [tuple(word_of.get(embedding[i].tobytes(), "?") for i in row) for row in rows]


def _reviews_of(rows, labels, run, reviews, glove_data, split):
    """Where each row's review is, asserting it is a `split` review with this label."""
    embedding = run.fit.model.layers[0].get_weights()[0]
    vectors = _glove_file_vectors(glove_data / "datasets" / "glove.6B.100d.txt")
    found = []
    for words, label in zip(_read_rows(rows, embedding, vectors), labels):
        assert words in reviews.by_words, f"no review reads {words}"
        where, own_label, position = reviews.by_words[words]
        assert (where, own_label) == (split, label), (words, where, own_label, label)
        found.append(position)
    return np.array(found)


def test_imdb_glove_smoke_profile_is_the_one_checked_here():
    assert imdb_glove.PROFILES["smoke"] == SMOKE


def test_imdb_glove_smoke_both_variants(runs):
    result = runs["glove"].result
    m = result["metrics"]
    assert np.isfinite(m["test_loss"]) and np.isfinite(m["history"]["loss"]).all()
    assert m["best_val_accuracy"] == max(m["history"]["val_accuracy"])
    assert m["glove_words_found"] == m["vocabulary_size"] - 2  # every fake word has a vector
    assert "GloVe word vectors" in {s["what"] for s in result["data"]}
    assert result["variant"] is None
    assert result["figures"] == ["chapter06/imdb_glove.smoke_curves.png"]
    saved(runs["glove"].out, result)

    learned = runs["learned"].result
    assert learned["variant"] == "learned_embedding"
    assert learned["metrics"]["glove_words_found"] is None
    assert "GloVe word vectors" not in {s["what"] for s in learned["data"]}
    assert learned["figures"] == ["chapter06/imdb_glove@learned_embedding.smoke_curves.png"]
    saved(runs["learned"].out, learned)
    # same seed, same data, same model: only the GloVe matrix (frozen) makes the runs differ
    assert learned["metrics"]["history"]["loss"] != m["history"]["loss"]


def test_imdb_glove_training_and_validation_rows_are_shuffled_training_reviews(
    runs, reviews, glove_data
):
    run = runs["glove"]
    fit, maxlen = run.fit, SMOKE["maxlen"]
    x_val, y_val = fit.validation_data
    assert fit.x.shape == (SMOKE["training_samples"], maxlen)
    assert x_val.shape == (SMOKE["validation_samples"], maxlen)
    train = _reviews_of(fit.x, fit.y, run, reviews, glove_data, "train")
    val = _reviews_of(x_val, y_val, run, reviews, glove_data, "train")
    assert len(set(train)) == len(train) and len(set(val)) == len(val)
    assert not set(train) & set(val)
    # shuffled: the files come neg first; the first 50 would all be negative, in order
    assert set(fit.y.tolist()) == set(y_val.tolist()) == {0, 1}
    assert not np.array_equal(np.sort(train), train)


def test_imdb_glove_evaluates_every_test_review_once(runs, reviews, glove_data):
    run = runs["glove"]
    evaluate = run.evaluate
    test = _reviews_of(evaluate.x, evaluate.y, run, reviews, glove_data, "test")
    assert sorted(test.tolist()) == list(range(len(reviews.splits["test"])))


def test_imdb_glove_embedding_is_the_frozen_glove_matrix(runs):
    model = runs["glove"].fit.model
    embedding = model.layers[0]
    assert isinstance(embedding, keras.layers.Embedding) and embedding.trainable is False
    weights = embedding.get_weights()[0]
    assert not weights[:2].any()  # padding and OOV: no vector
    assert runs["glove"].evaluate.model is model
    learned = runs["learned"].fit.model.layers[0]
    assert learned.trainable is True
    # the learned variant trains on the very same rows
    np.testing.assert_array_equal(runs["learned"].fit.x, runs["glove"].fit.x)
    np.testing.assert_array_equal(runs["learned"].fit.y, runs["glove"].fit.y)


def test_imdb_glove_fit_settings_are_the_books(runs):
    for run in runs.values():
        fit = run.fit
        assert (fit.epochs, fit.batch_size) == (SMOKE["epochs"], 32)
        assert fit.args.get("validation_split") in (None, 0.0)
        assert fit.learning_rate == pytest.approx(0.001)
        assert fit.model.input_shape == (None, SMOKE["maxlen"])


# ---- the book's model and settings --------------------------------------------------------------


def test_imdb_glove_full_profile_models_are_the_books():
    layers = ["Flatten()", "Dense(32, relu)", "Dense(1, sigmoid)"]
    model = imdb_glove.build_model(GLOVE_FULL["maxlen"], GLOVE_FULL["max_words"], 100)
    assert describe_short(model) == {
        "input": (None, 100),
        "layers": ["Embedding(10000, 100)", *layers],
        "compile": SHORT_BINARY,
    }
    frozen = imdb_glove.build_model(
        GLOVE_FULL["maxlen"], GLOVE_FULL["max_words"], 100, np.zeros((10000, 100), "float32")
    )
    assert describe_short(frozen) == {
        "input": (None, 100),
        "layers": ["Embedding(10000, 100, frozen)", *layers],
        "compile": SHORT_BINARY,
    }
    # 6.1-using-word-embeddings, cells 23 and 32: Total params: 1,320,065 (cell 23 printed it
    # before freezing; frozen weights count)
    assert model.count_params() == frozen.count_params() == 1320065


def test_imdb_glove_full_profile_settings_are_the_notebooks():
    # 6.1-using-word-embeddings, cells 16, 21 and 28
    assert GLOVE_FULL == {
        "epochs": 10,
        "maxlen": 100,
        "training_samples": 200,
        "validation_samples": 10000,
        "max_words": 10000,
    }
    fit = fit_keywords(imdb_glove)
    assert fit["batch_size"] == "32" and "validation_split" not in fit  # cell 28
    assert fit["epochs"] == "args.epochs"


# ---- GloVe parsing, the matrix, the tokenizer ------------------------------------------------


def test_parse_glove_and_the_aligned_matrix(tmp_path):
    words = ["the", "movie", "good", "[UNK]"]  # a vector for "[UNK]" must not fill the OOV row
    path, vectors = fakedata.write_glove(tmp_path, words, dim=4, path=tmp_path / "g.txt")
    index, dim = parse_glove(path)
    assert dim == 4 and set(index) == set(words)
    np.testing.assert_array_equal(index["good"], vectors["good"])
    assert set(parse_glove(path, words={"good", "zzz"})[0]) == {"good"}
    vocabulary = ["", "[UNK]", "the", "unseen", "good"]
    matrix, found = build_embedding_matrix(vocabulary, index, dim)
    assert matrix.shape == (5, 4) and found == 2
    np.testing.assert_array_equal(matrix[2], vectors["the"])
    np.testing.assert_array_equal(matrix[4], vectors["good"])
    assert not matrix[[0, 1, 3]].any()


def test_parse_glove_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("the 0.1 0.2 0.3\nmovie 0.1 0.2\n")
    with pytest.raises(BadData, match=r"bad.txt: line 2: 2 numbers") as exc:
        parse_glove(bad)
    assert exc.value.fields["file"] == "bad.txt" and "glove.6B.zip" in exc.value.fix
    bad.write_text("the 0.1 0.2\nmovie 0.1 zero\n")
    with pytest.raises(BadData, match=r"line 2: not a number"):
        parse_glove(bad)
    bad.write_text("")
    with pytest.raises(BadData, match="empty"):
        parse_glove(bad)
    bad.write_bytes(b"the \xff\xfe 0.1\n")
    with pytest.raises(BadData, match="not a readable UTF-8"):
        parse_glove(bad)


def test_find_glove_errors(empty_data, tmp_path):
    with pytest.raises(MissingData) as exc:
        glove.find(DataFolders.resolve(empty_data))
    assert exc.value.files == ["datasets/glove.6B.100d.txt"] and "glove.6B.zip" in exc.value.fix
    with pytest.raises(UserError, match="--glove .*no such file"):
        glove.find(DataFolders.resolve(empty_data), str(tmp_path / "nope.txt"))


def test_texts_to_sequences_drops_unknown_words_and_prepads():
    vectorizer = keras.layers.TextVectorization(max_tokens=5, ragged=True)
    vectorizer.adapt(np.array(["a a a b b c", "a b"]))  # vocabulary: '', [UNK], a, b, c
    assert vectorizer.get_vocabulary() == ["", "[UNK]", "a", "b", "c"]
    out = texts_to_sequences(vectorizer, ["c zzz a", "a b c a b c"], maxlen=4)
    assert out.tolist() == [[0, 0, 4, 2], [4, 2, 3, 4]]  # OOV dropped; the last words kept


def test_glove_embedding_rows_are_the_words_vectors(glove_data):
    folders = DataFolders.resolve(glove_data)
    texts, labels = imdb.load_reviews(folders, "train")
    vectorizer = keras.layers.TextVectorization(max_tokens=GLOVE_FULL["max_words"], ragged=True)
    vectorizer.adapt(np.array(texts))
    vocabulary = vectorizer.get_vocabulary()
    path = glove.find(folders)
    vectors = _glove_file_vectors(path)
    index, dim = parse_glove(path, words=set(vocabulary))
    matrix, found = build_embedding_matrix(vocabulary, index, dim)
    assert found == len(vocabulary) - 2 and dim == 100
    model = imdb_glove.build_model(8, len(vocabulary), dim, matrix)
    embedding = model.layers[0]
    assert isinstance(embedding, keras.layers.Embedding) and embedding.trainable is False
    before = embedding.get_weights()[0]
    for i, word in enumerate(vocabulary[2:], 2):
        assert np.array_equal(before[i], vectors[word]), word
    assert not before[:2].any()  # padding and OOV
    # a text reaches its words' vectors: text -> indices -> embedding rows
    first, second = vocabulary[5], vocabulary[9]
    rows = embedding(texts_to_sequences(vectorizer, [f"{first} {second}"], maxlen=2))[0]
    np.testing.assert_array_equal(rows, [vectors[first], vectors[second]])
    # frozen: training moves the Dense layers, not the GloVe rows
    x, y = texts_to_sequences(vectorizer, texts, 8), labels.astype("float32")
    dense_before = model.layers[2].get_weights()[0]
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.array_equal(embedding.get_weights()[0], before)
    assert not np.array_equal(model.layers[2].get_weights()[0], dense_before)
    # learned_embedding: the same model with a trainable, trained Embedding
    learned = imdb_glove.build_model(8, len(vocabulary), dim)
    assert learned.layers[0].trainable is True
    start = learned.layers[0].get_weights()[0]
    learned.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert not np.array_equal(learned.layers[0].get_weights()[0], start)


def test_imdb_glove_fails_clearly_without_glove(tiny_data, out_dir):
    with pytest.raises(MissingData, match="glove.6B.100d.txt not found") as exc:
        imdb_glove.main(smoke_args(tiny_data, out_dir))
    assert "--glove PATH" in exc.value.fix


def test_imdb_glove_fails_clearly_on_a_bad_glove_file(glove_data, tmp_path, out_dir):
    bad = tmp_path / "glove.txt"
    bad.write_text("the 0.1 0.2\nmovie 0.1\n")
    with pytest.raises(BadData, match="line 2: 1 numbers"):
        imdb_glove.main(smoke_args(glove_data, out_dir, "--glove", str(bad)))
