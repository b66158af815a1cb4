"""Multi-step evaluation of a world model against real trajectories.

From real start windows the model is rolled forward N steps replaying the real actions,
each prediction fed back as input. Reported: reward accuracy at N (the share of rollouts
whose summed predicted reward equals the real one, SimPLe's `reward_accuracy/at_N`) and
the pixel error of every step.
"""

import numpy as np

from problems import input_pipeline


def rollout_starts(arrays, stack_size, num_steps, count, rng):
    """Up to `count` random starts with stack_size + num_steps consecutive frames."""
    starts = input_pipeline.window_starts(arrays["episode"], arrays["frame_number"],
                                          stack_size + num_steps - 1)
    if len(starts) > count:
        starts = rng.choice(starts, size=count, replace=False)
    return np.sort(starts)


def multi_step_eval(world_model, arrays, num_steps, num_rollouts=32, stack_size=4,
                    temperature=0.0, seed=0, keep_frames=False):
    """Rolls `world_model` forward `num_steps` from real starts with the real actions.

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
    offsets = np.arange(stack_size)
    frames = arrays["frame"][starts[:, None] + offsets]
    predicted_sum = np.zeros(len(starts), np.int64)
    real_sum = np.zeros(len(starts), np.int64)
    pixel_error, kept_predicted, kept_real = [], [], []
    for step in range(num_steps):
        last = starts + stack_size - 1 + step  # the frame whose action leads on
        frame, reward = world_model.predict(frames, arrays["action"][last], temperature)
        real = arrays["frame"][last + 1]
        predicted_sum += reward
        real_sum += arrays["reward"][last]
        pixel_error.append(float(np.mean(np.abs(frame.astype(np.float32) - real)) / 255.0))
        if keep_frames:
            kept_predicted.append(frame)
            kept_real.append(real)
        frames = np.concatenate([frames[:, 1:], frame[:, None]], axis=1)
    result = {"rollouts": len(starts),
              "reward_accuracy": float(np.mean(predicted_sum == real_sum)),
              # What always predicting "no reward" would score on the same rollouts.
              "baseline_no_reward_accuracy": float(np.mean(real_sum == 0)),
              "pixel_error": pixel_error}
    if keep_frames:
        result["predicted"] = np.stack(kept_predicted, axis=1)
        result["real"] = np.stack(kept_real, axis=1)
    return result
