"""Every exercise, in book order, and how run_all.py runs it (the runner's table, not plumbing).

A variant is a second run of the same script with extra flags, whose results are kept under their
own name (`<script>@<tag>.json`), e.g. a transfer-learning script with a substitute base network.
The script itself passes the same tag to `dlwp.results.Run(variant=...)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Variant:
    tag: str | None = None  # None: the default run (the book's configuration)
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exercise:
    script: str  # "chapter02/mnist_first_network.py"
    variants: tuple[Variant, ...] = field(default=(Variant(),))
    timeout: dict | None = None  # seconds per profile, overriding the runner's default

    @property
    def chapter(self) -> str:
        return self.script.split("/")[0]

    @property
    def stem(self) -> str:
        return self.script.split("/")[1].removesuffix(".py")

    def result_name(self, variant: Variant) -> str:
        return self.stem + (f"@{variant.tag}" if variant.tag else "")


def _ex(script, *variants, timeout=None):
    return Exercise(script, tuple(variants) or (Variant(),), timeout)


MOBILENET = Variant("mobilenet", ("--base", "mobilenet"))

CATALOGUE: tuple[Exercise, ...] = (
    # Chapter 2
    _ex("chapter02/mnist_first_network.py"),
    _ex("chapter02/display_digit.py"),
    _ex("chapter02/naive_tensor_ops.py"),
    # Chapter 3
    _ex("chapter03/imdb_binary_classification.py"),
    _ex("chapter03/reuters_newswires.py"),
    _ex("chapter03/boston_housing_kfold.py"),
    # Chapter 5
    _ex("chapter05/mnist_convnet.py"),
    _ex("chapter05/dogs_vs_cats_prepare.py"),
    _ex("chapter05/dogs_vs_cats_from_scratch.py"),
    _ex("chapter05/dogs_vs_cats_augmentation.py"),
    _ex("chapter05/vgg16_feature_extraction.py", Variant(), MOBILENET),
    _ex("chapter05/vgg16_feature_extraction_augmented.py", Variant(), MOBILENET),
    _ex("chapter05/vgg16_fine_tuning.py", Variant(), MOBILENET),
    _ex("chapter05/visualize_activations.py"),
    _ex("chapter05/visualize_filters.py", Variant(), MOBILENET),
    _ex(
        "chapter05/grad_cam.py",
        Variant(),
        Variant(
            "dogs_vs_cats_augmentation",
            (
                "--model",
                "results/chapter05/models/dogs_vs_cats_augmentation.keras",
                "--image",
                "datasets/dogs-vs-cats/train/dog.1503.jpg",
            ),
        ),
    ),
    # Chapter 6
    _ex("chapter06/one_hot_hashing.py"),
    _ex("chapter06/imdb_embedding.py"),
    _ex("chapter06/imdb_glove.py", Variant(), Variant("learned_embedding", ("--glove", "none"))),
    _ex("chapter06/numpy_simple_rnn.py"),
    _ex("chapter06/imdb_simple_rnn.py"),
    _ex("chapter06/imdb_lstm.py"),
    _ex("chapter06/jena_generator.py"),
    _ex("chapter06/jena_dense_baseline.py"),
    _ex("chapter06/jena_gru.py"),
    _ex("chapter06/jena_gru_dropout.py"),
    _ex("chapter06/jena_stacked_gru.py"),
    _ex("chapter06/jena_reversed_gru.py"),
    _ex("chapter06/imdb_reversed_lstm.py"),
    _ex("chapter06/bidirectional_lstm.py", Variant(), Variant("reversed", ("--reversed",))),
    _ex("chapter06/jena_bidirectional_gru.py"),
    _ex("chapter06/imdb_conv1d.py"),
    _ex("chapter06/jena_conv1d.py"),
    _ex("chapter06/jena_conv1d_gru.py"),
    # Chapter 7
    _ex("chapter07/multi_input_qa.py"),
    _ex("chapter07/multi_output.py"),
    _ex("chapter07/inception_module.py"),
    _ex("chapter07/residual_connection.py"),
    _ex("chapter07/siamese_lstm.py"),
    _ex("chapter07/callbacks.py"),
    _ex("chapter07/custom_callback.py"),
    _ex("chapter07/tensorboard_logging.py"),
    # Chapter 8
    _ex("chapter08/text_sampling.py"),
    _ex("chapter08/char_lstm_generation.py"),
    _ex("chapter08/deep_dream.py", Variant(), MOBILENET),
    _ex("chapter08/neural_style_transfer.py", Variant(), MOBILENET),
    _ex("chapter08/vae.py"),
    _ex("chapter08/gan.py"),
)

CHAPTER_TITLES = {
    "chapter02": "Chapter 2 — Getting started with neural networks",
    "chapter03": "Chapter 3 — Getting started with neural networks: classification and regression",
    "chapter05": "Chapter 5 — Deep learning for computer vision",
    "chapter06": "Chapter 6 — Deep learning for text and sequences",
    "chapter07": "Chapter 7 — Advanced deep-learning best practices",
    "chapter08": "Chapter 8 — Generative deep learning",
}
