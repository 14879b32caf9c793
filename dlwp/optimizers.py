"""The book's RMSprop step in Keras 3.

Keras 2.0.8 (the book's) stepped by ``lr * g / (sqrt(a) + 1e-8)``; Keras 3 steps by
``lr * g / sqrt(a + epsilon)`` with ``epsilon=1e-7``, where ``a`` is the running mean of g².
The two agree while sqrt(a) is large, but Keras 3's denominator never falls below
sqrt(1e-7) ≈ 3e-4: where gradients are tiny (embedding rows that few samples touch, a
learning rate of 1e-4 on a fresh convnet) Keras 3's default step is up to ~30,000× smaller
than the book's, and such models train visibly slower (imdb_conv1d: val accuracy 0.64
instead of the notebook's 0.77 after 4 epochs). ``epsilon=1e-16`` inside the root is the
book's 1e-8 outside it, within a factor √2 at every gradient size, so every exercise builds
its RMSprop with ``epsilon=KERAS2_RMSPROP_EPSILON``.
"""

KERAS2_RMSPROP_EPSILON = 1e-16
