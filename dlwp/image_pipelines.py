"""Image folders as in-memory `tf.data` pipelines: decoded once, shuffled and batched each epoch.

`keras.utils.image_dataset_from_directory` decodes and resizes every JPEG each time a dataset is
iterated. The book's small Dogs vs. Cats folders (a few thousand photos) fit in memory, so a
script reads a folder the Keras way, unbatched, and hands it to `in_memory`, which decodes it
once and keeps the pixels as uint8 arrays (a quarter of float32's memory; the model's own
`Rescaling` layer turns them into floats):

    train_ds = keras.utils.image_dataset_from_directory(
        base_dir / "train", label_mode="binary", image_size=(150, 150),
        batch_size=None, shuffle=False, verbose=False)
    train_ds = image_pipelines.in_memory(train_ds, batch_size=20, shuffle_seed=args.seed)

`augmented` maps Keras preprocessing layers over the training batches, as the book's
`ImageDataGenerator(rotation_range=40, ...)` transformed each batch it yielded:

    train_ds = image_pipelines.augmented(train_ds, data_augmentation())

`throughput` measures such a pipeline: images per second of two passes over the images held in
memory (the first includes tf.data's warm-up).
"""

from __future__ import annotations

import time

SHUFFLE_BUFFER = 4096  # more than the book's 2,000 training images: a full shuffle


def in_memory(dataset, batch_size: int, shuffle_seed: int | None = None):
    """Unbatched (float images in [0, 255], labels) -> batches of (uint8 images, labels).

    The images are decoded once, rounded to uint8 and held as arrays; with a `shuffle_seed`
    (training data) their order is reshuffled every epoch, reproducibly. Batches are prefetched.
    Arrays rather than `Dataset.cache()`: a cache that a first, partial pass (a peek at one batch
    before `fit`) leaves behind can be read back truncated.
    """
    import numpy as np
    import tensorflow as tf

    image_spec = dataset.element_spec[0]
    if image_spec.shape.rank != 3:
        raise ValueError(
            f"in_memory wants single images (h, w, c), got {image_spec.shape}: read the folder "
            "with batch_size=None"
        )
    as_uint8 = dataset.map(
        lambda x, y: (tf.cast(tf.clip_by_value(tf.round(x), 0, 255), tf.uint8), y),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).batch(256)
    images, labels = [], []
    for x, y in as_uint8:
        images.append(x.numpy())
        labels.append(y.numpy())
    ds = tf.data.Dataset.from_tensor_slices((np.concatenate(images), np.concatenate(labels)))
    if shuffle_seed is not None:
        ds = ds.shuffle(SHUFFLE_BUFFER, seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def augmented(dataset, augment, repeat: bool = False):
    """Batches of (uint8 images, labels) -> (`augment(images as float32, training=True)`, labels).

    `augment` (e.g. a Sequential of RandomRotation, RandomZoom, ...) draws new transformations
    for every batch, on every pass. `repeat=True` makes the stream endless, for
    `fit(steps_per_epoch=...)` when an epoch is not one pass over the data (the book's
    generators never ended). Batches are prefetched.
    """
    import tensorflow as tf

    ds = dataset.map(
        lambda x, y: (augment(tf.cast(x, "float32"), training=True), y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    if repeat:
        ds = ds.repeat()
    return ds.prefetch(tf.data.AUTOTUNE)


def throughput(dataset) -> dict:
    """Images per second of two passes over a batched `dataset`; for an `in_memory` pipeline both
    read the decoded images (the first includes tf.data's warm-up)."""
    speeds = []
    for _ in range(2):
        start, n = time.perf_counter(), 0
        for x, _ in dataset:
            n += int(x.shape[0])
        speeds.append(n / max(time.perf_counter() - start, 1e-9))
    return {"first_pass_images_per_s": round(speeds[0]), "cached_images_per_s": round(speeds[1])}
