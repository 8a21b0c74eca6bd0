"""Pure mechanism functions over numpy arrays, one module per mechanism.

Every function takes arrays with a leading batch axis ``B`` so that many runs can
be stepped at once; nothing here imports Mesa, touches files or owns randomness
(random draws are passed in).
"""
