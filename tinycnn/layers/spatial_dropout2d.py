"""SpatialDropout2D: Dropout that drops whole channels, as Keras's layers.SpatialDropout2D.

Training:   one draw per image and channel, mask ~ Bernoulli(1 - rate) of shape (N, 1, 1, C),
            out = x * mask / (1 - rate),  dx = dout * mask / (1 - rate)  (the mask broadcast
            over H and W: a channel is kept or zeroed in the whole image)
Inference:  out = x.
Neighbouring pixels of a feature map are alike, so dropping single pixels (Dropout) takes
little away: the pixels next to it carry the same information. Dropping the whole map does.
It is Dropout with noise_shape=(None, 1, 1, None) (tinycnn/layers/dropout.py): forward,
backward and the randomness are Dropout's, ``seed=`` too (the layer's own generator; without
one, the model's training stream, so a seeded model drops the same channels on every rerun).

Shapes: x, out, dout, dx: (N, H, W, C); the mask: (N, 1, 1, C). No weights.
"""

from tinycnn.layers.dropout import Dropout

ONE_DRAW_PER_CHANNEL = (None, 1, 1, None)  # Dropout's noise_shape: N and C drawn, H and W shared


class SpatialDropout2D(Dropout):
    """SpatialDropout2D(rate, data_format=None, seed=None): rate, the fraction of channels to
    drop, 0 <= rate < 1; data_format, None or "channels_last"; seed, None (draw from the
    model's training stream) or an int (the layer's own generator), as Dropout's."""

    def __init__(self, rate, data_format=None, seed=None, name=None, input_shape=None):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"SpatialDropout2D data_format: tinycnn's images are channels-last "
                             f"(N, H, W, C); got {data_format!r}")
        super().__init__(rate, noise_shape=ONE_DRAW_PER_CHANNEL, seed=seed, name=name,
                         input_shape=input_shape)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        return input_shape

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]  # fixed by the layer, not an argument of its constructor
        return {**config, "data_format": "channels_last"}

    def __repr__(self):
        seed = "" if self.seed is None else f", seed={self.seed}"
        return f"SpatialDropout2D(name={self.name!r}, rate={self.rate}{seed})"
