"""Measures of a latent world model and its policy against the game itself, through the
emulator's cloned states (benchmarks/cloned_game.py): used by latent_probe.py."""

import numpy as np
import tensorflow as tf

import cloned_game


def held_random_states(ale, actions, frame_shape, stack_size, count, rng):
    """Yields `count` times the last `stack_size` frames (a list, oldest first) of the
    game in `ale`, each after 100-800 more agent steps of random actions held 16 steps on
    average (as the loop's first collection plays); the game restarts when it ends. The
    emulator is left at the yielded state."""
    stack = [np.zeros(frame_shape[:2], np.uint8)] * stack_size
    held, left = 0, 0
    for _ in range(count):
        for _ in range(int(rng.integers(100, 800))):
            if left <= 0:
                held, left = int(rng.integers(len(actions))), int(rng.geometric(1 / 16))
            stack = stack[1:] + [cloned_game.agent_step(ale, actions[held], frame_shape)[0]]
            left -= 1
            if ale.game_over():
                ale.reset_game()
        yield stack


def counterfactual_agreement(model, game, frame_shape, steps=16, count=256, seed=0):
    """Whether the model knows which action wins, not only that actions differ: from
    `count` states of the game reached by held-random play, each action is held `steps`
    agent steps in the game (from the cloned state) and in imagination (from the
    encoding of the state's last 4 frames). Over the states where the game's summed
    clipped rewards differ between actions: how often the model's best action (by
    expected reward) is one of the game's best, against a random pick's chance."""
    ale = cloned_game.new_game(game, seed)
    actions = ale.getMinimalActionSet()
    rng = np.random.default_rng(seed)
    game_sums, model_sums = [], []
    for stack in held_random_states(ale, actions, frame_shape, model.stack_size, count, rng):
        game_sums.append(cloned_game.held_action_rewards(ale, actions, steps))
        observation = np.stack(stack)[None, ..., None]
        latent = np.repeat(model.encode(observation), len(actions), 0)
        total = np.zeros(len(actions))
        for _ in range(steps):
            latent, reward, _ = model.imagine(latent, np.arange(len(actions)), mean_reward=True)
            total += reward
        model_sums.append(total)
    game_sums, model_sums = np.array(game_sums), np.array(model_sums)
    differs = game_sums.max(1) != game_sums.min(1)
    best = game_sums == game_sums.max(1, keepdims=True)
    picked = best[np.arange(len(best)), model_sums.argmax(1)]
    chance = best.mean(1)
    print(f"counterfactual agreement, each action held {steps} steps from {count} states of "
          f"the game: the game's rewards differ between actions at {differs.sum()} of them; "
          f"there the model's best action is one of the game's best "
          f"{picked[differs].mean() if differs.any() else float('nan'):.3f} of the time "
          f"(a random pick {chance[differs].mean() if differs.any() else float('nan'):.3f})",
          flush=True)


def policy_replay_gap(model, network, game, frame_shape, steps=32, count=64, seed=0):
    """Whether what the policy earns in imagination is what the game pays for the same
    play, and whether it plays the game as it plays imagination. From `count` states of
    the game reached by held-random play (the emulator's state cloned), the greedy policy
    acts `steps` steps in imagination from the encoding of the state's last 4 frames;
    then the same action sequence is replayed in the game from the cloned state
    (open-loop); then the greedy policy plays the game itself from that state on the real
    frames (closed-loop). Summed clipped rewards of each, uniform random sequences in
    both for scale, and how often the closed-loop actions are the imagined sequence's.
    A gap between the first two is the model paying for play the game does not pay for
    (PPO exploiting it); a low agreement is the policy reading imagined latents
    differently from the game's encodings, so the loop's real data never shows the
    model that play."""
    ale = cloned_game.new_game(game, seed)
    actions = ale.getMinimalActionSet()
    rng = np.random.default_rng(seed)
    sums = {"imagined": [], "replayed": [], "closed_loop": [], "random_imagined": [],
            "random_game": []}
    agree = []

    def greedy(latent):
        return network(tf.constant(latent)).logits.numpy().argmax(-1)

    def play(state, chosen):
        ale.restoreState(state)
        total = 0.0
        for action in chosen:
            total += float(np.clip(cloned_game.agent_step(ale, actions[action],
                                                          frame_shape)[1], -1, 1))
        return total

    for stack in held_random_states(ale, actions, frame_shape, model.stack_size, count, rng):
        state = ale.cloneState()
        start = model.encode(np.stack(stack)[None, ..., None])
        random_sequence = rng.integers(len(actions), size=steps)
        for label, chooser in (("imagined", greedy),
                               ("random_imagined", None)):
            latent, total, chosen = start, 0.0, []
            for k in range(steps):
                action = greedy(latent) if chooser else random_sequence[k:k + 1]
                chosen.append(int(action[0]))
                latent, reward, _ = model.imagine(latent, np.asarray(action),
                                                  mean_reward=True)
                total += float(reward[0])
            sums[label].append(total)
            if chooser:
                imagined_sequence = chosen
        sums["replayed"].append(play(state, imagined_sequence))
        sums["random_game"].append(play(state, random_sequence))
        ale.restoreState(state)
        real_stack, total, chosen = list(stack), 0.0, []
        for k in range(steps):
            action = int(greedy(model.encode(np.stack(real_stack)[None, ..., None]))[0])
            chosen.append(action)
            frame, reward = cloned_game.agent_step(ale, actions[action], frame_shape)
            real_stack = real_stack[1:] + [frame]
            total += float(np.clip(reward, -1, 1))
        sums["closed_loop"].append(total)
        agree.append(np.mean(np.array(chosen) == np.array(imagined_sequence)))
        ale.restoreState(state)
    means = {k: float(np.mean(v)) for k, v in sums.items()}
    print(f"policy replay over {steps} steps from {count} states of the game: the greedy "
          f"policy earns {means['imagined']:.3f} in imagination, its imagined actions "
          f"replayed in the game {means['replayed']:.3f}, the policy playing the game "
          f"{means['closed_loop']:.3f}; random actions {means['random_imagined']:.3f} "
          f"in imagination, {means['random_game']:.3f} in the game; the game play picks "
          f"the imagined action at {np.mean(agree):.2f} of the steps", flush=True)
    return means


def real_action_effect(game, frame_shape, steps=10, count=64, seed=0, reward_steps=16):
    """`action_effect`'s measure on the real game: from `count` states reached by random
    play, the emulator's state is cloned and each action held for `steps` agent steps
    (frame skip 4, the max of the last two frames, gray, resized as the probe's frames);
    the mean absolute difference between the resulting frames of every pair of actions
    (0..1 scale). What a model that knew exactly what the actions do would show."""
    ale = cloned_game.new_game(game, seed)
    actions = ale.getMinimalActionSet()
    rng = np.random.default_rng(seed)

    def frame_after(action):
        for _ in range(steps):
            frame = cloned_game.agent_step(ale, action, frame_shape)[0]
        return frame / 255.0

    pairs, differs = [], []
    for _ in range(count):
        for _ in range(int(rng.integers(100, 800))):
            ale.act(actions[rng.integers(len(actions))])
            if ale.game_over():
                ale.reset_game()
        rewards = cloned_game.held_action_rewards(ale, actions, reward_steps)
        state = ale.cloneState()
        finals = []
        for action in actions:
            ale.restoreState(state)
            finals.append(frame_after(action))
        ale.restoreState(state)
        pairs += [np.abs(finals[a] - finals[b]).mean() for a in range(len(finals))
                  for b in range(a + 1, len(finals))]
        differs.append(max(rewards) != min(rewards))
    print(f"real {game}, the same measures: frames after {steps} steps under different held "
          f"actions differ by {np.mean(pairs):.4f} on average; with each action held "
          f"{reward_steps} steps the (clipped) reward differs between actions from "
          f"{np.mean(differs):.3f} of the states", flush=True)


def visited_disagreement(model, act, config, data_disagreement, steps=400, num_envs=16,
                         seed=0, label="policy", lead=None, lead_steps=0):
    """What a collection by `act` would show the model: `num_envs` fresh episodes of the
    game played `steps` agent steps each (a loop collection's shape), and the transition
    ensemble's disagreement about each step taken, against `data_disagreement` (the same
    measure on steps of the data the model trained on). A policy that collects what the
    model does not know visits steps it disagrees about more than on its data.

    Args:
        act: frame stacks [N, ...] uint8 -> actions [N].
        config: the game's problems.atari.AtariConfig.
        data_disagreement: the disagreement of the data's own steps, [M].
        lead, lead_steps: another policy (frame stacks -> actions) that plays each
            episode's first `lead_steps` steps before `act` takes over for `steps` more
            (the task policy leading the explorer to its frontier); the disagreement
            counts `act`'s steps only, the return the whole episode.
    Returns the visited steps' disagreement [steps * num_envs]."""
    from problems import atari
    env = atari.AtariEnv(config, num_envs, seed=seed)
    observations, _ = env.reset()
    disagreement, returns, best = [], np.zeros(num_envs), np.zeros(num_envs)
    try:
        for step in range(lead_steps + steps):
            if step < lead_steps:
                actions = np.asarray(lead(observations))
            else:
                actions = np.asarray(act(observations))
                latent = model.encode(observations)
                disagreement.append(model.imagine(latent, actions,
                                                  with_disagreement=True)[3])
            observations, _, terminated, truncated, info = env.step(actions)
            returns += info["raw_reward"]
            best = np.maximum(best, returns)
            returns[terminated | truncated] = 0.0
    finally:
        env.close()
    disagreement = np.concatenate(disagreement)
    top = np.percentile(data_disagreement, 90)
    print(f"visited disagreement, {label}: mean {disagreement.mean():.5f} "
          f"({disagreement.mean() / data_disagreement.mean():.2f} x the data's "
          f"{data_disagreement.mean():.5f}); above the data's 90th percentile: "
          f"{np.mean(disagreement > top):.2f}; raw return in {lead_steps + steps} steps: mean "
          f"{best.mean():.1f}, max {best.max():.0f}", flush=True)
    return disagreement


def held_action_life_losses(ale, actions, steps: int) -> np.ndarray:
    """From the game's current state, each of `actions` held for `steps` agent steps: 1
    where the lives counter fell (or the game ended) within them, else 0. The state is
    restored afterwards."""
    state = ale.cloneState()
    lives = ale.lives()
    lost = []
    for action in actions:
        ale.restoreState(state)
        for _ in range(4 * steps):
            ale.act(action)
            if ale.lives() < lives or ale.game_over():
                break
        lost.append(float(ale.lives() < lives or ale.game_over()))
    ale.restoreState(state)
    return np.array(lost)


def counterfactual_life_loss(model, game, frame_shape, steps=16, count=256, seed=0):
    """Whether the model knows which action loses a life: from `count` states of the game
    reached by held-random play, each action is held `steps` agent steps in the game
    (from the cloned state) and in imagination (the members' mean episode-end
    probability each step, summed into P(an end within the steps)). Over the states
    where some actions lose a life and others do not: how often the model's safest
    action is one the game keeps alive with, against a random pick's chance."""
    ale = cloned_game.new_game(game, seed)
    actions = ale.getMinimalActionSet()
    rng = np.random.default_rng(seed)
    net = model.network
    game_lost, model_end = [], []
    for stack in held_random_states(ale, actions, frame_shape, model.stack_size, count, rng):
        game_lost.append(held_action_life_losses(ale, actions, steps))
        latent = tf.constant(np.repeat(model.encode(np.stack(stack)[None, ..., None]),
                                       len(actions), 0))
        taken = tf.range(len(actions))
        survive = np.ones(len(actions))
        for _ in range(steps):
            nexts = [net.transition(latent, taken, m) for m in range(net.ensemble_size)]
            end = np.mean([tf.sigmoid(net.done_logit(n)).numpy() for n in nexts], 0)
            survive *= 1.0 - end
            latent = nexts[int(rng.integers(len(nexts)))]
        model_end.append(1.0 - survive)
    game_lost, model_end = np.array(game_lost), np.array(model_end)
    differs = game_lost.max(1) != game_lost.min(1)
    safe = game_lost == 0
    picked = safe[np.arange(len(safe)), model_end.argmin(1)]
    lost_any = game_lost.max(1) > 0

    def mean(values):
        return values.mean() if values.size else float("nan")
    print(f"counterfactual life loss, each action held {steps} steps from {count} states of "
          f"the game: a life is lost under some action at {lost_any.sum()}, under some but "
          f"not all at {differs.sum()}; there the model's safest action keeps the life "
          f"{mean(picked[differs]):.3f} of the time (a random pick {mean(safe[differs]):.3f}); "
          f"the model's P(end) where the game loses a life {mean(model_end[game_lost > 0]):.3f}, "
          f"where it does not {mean(model_end[game_lost == 0]):.3f}", flush=True)
