"""Multi-step evaluation of a world model against real trajectories.

From real start windows the model is rolled forward N steps replaying the real actions,
each prediction fed back as input. Reported: reward accuracy at N (the share of rollouts
whose summed predicted reward equals the real one, SimPLe's `reward_accuracy/at_N`) and
the pixel error of every step.
"""

from typing import Any, Dict

import numpy as np

from problems import input_pipeline


def rollout_starts(arrays: Dict[str, np.ndarray], stack_size: int, num_steps: int, count: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Up to `count` random starts with stack_size + num_steps consecutive frames."""
    starts = input_pipeline.window_starts(arrays["episode"], arrays["frame_number"],
                                          stack_size + num_steps - 1)
    if len(starts) > count:
        starts = rng.choice(starts, size=count, replace=False)
    return np.sort(starts)


def multi_step_eval(world_model, arrays: Dict[str, np.ndarray], num_steps: int,
                    num_rollouts: int = 32, stack_size: int = 4, temperature: float = 0.0,
                    seed: int = 0, keep_frames: bool = False) -> Dict[str, Any]:
    """Rolls `world_model` forward `num_steps` from real starts with the real actions.

    A latent model (one with `rollout`, models.latent_world_model) is stepped in its
    latent state from the encoding of the first real stack, and its frames are decodings.

    Returns:
        dict with rollouts (how many were possible), reward_accuracy (share whose summed
        predicted reward equals the real sum), baseline_no_reward_accuracy (the same for a
        model that never predicts a reward), pixel_error (mean |predicted - real| / 255
        per step, a list), and with keep_frames, predicted and real frames
        [rollouts, num_steps, H, W, C].
    """
    rng = np.random.default_rng(seed)
    starts = rollout_starts(arrays, stack_size, num_steps, num_rollouts, rng)
    if len(starts) == 0:
        return {"rollouts": 0, "reward_accuracy": None, "pixel_error": []}
    frames = arrays["frame"][starts[:, None] + np.arange(stack_size)]
    # Step k acts from the stack ending at frame `acting[:, k]` and reaches the next frame.
    acting = starts[:, None] + stack_size - 1 + np.arange(num_steps)
    actions, real = arrays["action"][acting], arrays["frame"][acting + 1]
    if hasattr(world_model, "rollout"):  # a latent model steps its own state
        predicted, rewards = world_model.rollout(frames, actions)
    else:
        predicted, rewards = _pixel_rollout(world_model, frames, actions, temperature)
    predicted_sum = rewards.sum(1)
    real_sum = arrays["reward"][acting].astype(np.int64).sum(1)
    error = np.abs(predicted.astype(np.float32) - real) / 255.0
    result = {"rollouts": len(starts),
              "reward_accuracy": float(np.mean(predicted_sum == real_sum)),
              # What always predicting "no reward" would score on the same rollouts.
              "baseline_no_reward_accuracy": float(np.mean(real_sum == 0)),
              "pixel_error": error.mean(axis=(0, 2, 3, 4)).tolist()}
    if keep_frames:
        result["predicted"], result["real"] = predicted, real
    return result


def _pixel_rollout(world_model, frames, actions, temperature):
    """A pixel model's autoregressive rollout: each predicted frame is fed back as the
    newest input. Returns (frames uint8 [N, K, H, W, C], rewards int [N, K])."""
    predicted, rewards = [], []
    for k in range(actions.shape[1]):
        frame, reward = world_model.predict(frames, actions[:, k], temperature)
        predicted.append(frame)
        rewards.append(np.asarray(reward, np.int64))
        frames = np.concatenate([frames[:, 1:], frame[:, None]], axis=1)
    return np.stack(predicted, 1), np.stack(rewards, 1)
