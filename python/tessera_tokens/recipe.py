"""The page's quick recipe (src/train/presets.ts PRESETS.quick, asserted equal by
tests/python/recipe.test.ts) and the engine's learning-rate schedule."""
import math

QUICK = {
    "model": {"dim": 64, "depth": 2, "heads": 4, "mlpRatio": 2, "pool": "mean", "labelSmoothing": 0, "dropPath": 0, "stemWindow": 3, "embedDim": 16},
    "batch": 128,
    "steps": 1870,
    "lr": 0.004,
    "minLr": 0.00001,
    "warmupSteps": 50,
    "weightDecay": 0.05,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "clip": 1,
    "seed": 1,
    "metricsEvery": 20,
    "checkpointEvery": 200,
    "evalEvery": 100,
    "evalImages": 1000,
    "preset": "quick",
    "task": "classify",
    "input": "codes",
}


def learning_rate(c, step):
    """Linear warmup to lr, then half-cycle cosine to minLr at the last step (presets.ts learningRate)."""
    if step < c["warmupSteps"]:
        return c["lr"] * (step + 1) / c["warmupSteps"]
    progress = (step - c["warmupSteps"]) / max(1, c["steps"] - c["warmupSteps"])
    return c["minLr"] + 0.5 * (c["lr"] - c["minLr"]) * (1 + math.cos(math.pi * min(1, progress)))
