"""Screens the latent path in minutes: train a latent world model on a saved dataset,
train PPO in imagination, score the policy on the real game.

1. the latent model (a latent_dynamics set) trains on the dataset's train split for
   --wm_seconds (or resumes from --wm_dir), printing losses and the dev split's
   per-step imagination metrics beside copying the last frame;
   then how far 32 imagined steps drift from the real encodings, what the actions
   change and control in imagination and in the game, and how often the model's best
   held action is the game's (--skip_model_measures leaves these out);
2. the imagined return per rollout of each constant action and of random play; PPO (an
   MLP on the latent) trains in LatentImaginationEnv for --ppo_seconds, printing
   simulated steps/s with updates, the action mix and the imagined reward; then the
   trained greedy policy's imagined return from the same starts as the constant actions;
3. how often the policy picks on imagined latents the action it picks on the real
   encodings of the same states (against agreement by chance); and from cloned states
   of the game, what its greedy play earns in imagination, what the game pays for the
   same actions, and what it earns playing the game itself (policy_replay_gap;
   --replay_states 0 leaves it out);
4. the policy (encoder + MLP) plays --eval_episodes full real episodes at temperatures
   0 and 1, printed beside the best constant action (each action measured here for as
   many episodes), random play, model-free PPO at 100K and SimPLe (published).

With --collect_steps N and no dataset in DATA_DIR yet, first collects N real steps of
random play in rlmb_latent's frame format (52x40 gray; --frame_hparams changes it), each
action held 16 steps on average as in its first collection.

Usage: python benchmarks/latent_probe.py DATA_DIR --game pong [--collect_steps 50000]
           [--dataset gym_pong_random]
           [--wm_seconds 600] [--ppo_seconds 300] [--wm_dir DIR] [--wm_hparams k=v,...]
           [--ppo_hparams k=v,...] [--envs 1024] [--rollout 16] [--steps_per_iteration N]
           [--reward_starts 0.25]
           [--frame_hparams frame_height=84,frame_width=84] [--skip_model_measures]
           [--counterfactual_states 512] [--counterfactual_seed 0]
           [--score_at 60,180] [--replay_states 64] [--skip_baselines]
           [--intrinsic_weight 1 --extrinsic_weight 0] [--visited_steps 400
            [--visited_lead_policy RUN/policy/epoch_014 --visited_lead_steps 320]]

With --intrinsic_weight PPO trains on the transition ensemble's disagreement (an
exploration policy, Plan2Explore; rl/exploration.py); --visited_steps then shows whether
the policy it trains visits steps the model knows less than its data's, in the game.

To see how the score grows with PPO's budget in a loop's final model: DATA_DIR the run's
data/, --dataset rlmb_GAME, --wm_set the loop's model set, --wm_dir a copy of its
world_model/checkpoints, --wm_seconds 0 --skip_model_measures, and --score_at.
"""

import argparse
import dataclasses
import os
import sys
import time

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import hparams  # noqa: E402
from models import policies, saved_policy, seeding  # noqa: E402
from models.latent_world_model import LatentWorldModel  # noqa: E402
from problems import atari, dataset_files, input_pipeline  # noqa: E402
from rl import anchors, datagen, evaluation, policy_transfer, ppo, rollout  # noqa: E402
from rl.collect import HeldRandomActions  # noqa: E402
from rl.imagination_env import LatentImaginationEnv, held_action_totals  # noqa: E402

from game_measures import (counterfactual_agreement, policy_replay_gap,  # noqa: E402
                           real_action_effect, visited_disagreement)


def sequence_sampler(arrays, hp, batch_size, seed):
    sample = input_pipeline.sequence_sampler(arrays, hp.video_num_input_frames,
                                             hp.unroll_steps, batch_size,
                                             hp.rewarded_sequence_fraction, seed)
    print(f"sequences: {sample.num_sequences}, with a reward: {sample.num_rewarded}",
          flush=True)
    return sample


def train_world_model(model, train, dev, hp, seconds, directory):
    sample = sequence_sampler(train, hp, hp.batch_size, seed=0)
    dev_sample = sequence_sampler(dev, hp, 256, seed=1)
    checkpoint = tf.train.CheckpointManager(model.checkpoint, directory, 1)
    if checkpoint.latest_checkpoint:
        model.checkpoint.restore(checkpoint.latest_checkpoint)
        print(f"restored the world model at step {model.step}", flush=True)
    began = last = time.time()
    while time.time() - began < seconds:
        losses = model.train_step(sample())
        if time.time() - last > 30:
            last = time.time()
            print(f"wm step {model.step}: " + ", ".join(f"{k} {v:.4f}" for k, v in
                                                      losses.items()), flush=True)
    if seconds > 0:
        print(f"wm: {model.step} steps, {model.step / max(1e-9, time.time() - began):.2f} "
              "steps/s this run", flush=True)
        checkpoint.save()
    metrics = model.evaluate(dev_sample())
    for key in ("frame_error_per_step", "baseline_copy_last/frame_error_per_step",
                "reward_accuracy_per_step", "baseline_no_reward/reward_accuracy_per_step"):
        print(f"dev {key}: {np.round(metrics[key], 4).tolist()}", flush=True)
    print(f"dev rewarded steps {metrics['rewarded_steps']:.0f}, predicted right "
          f"{metrics['rewarded_steps_correct']:.0f} in imagination, "
          f"{metrics['rewarded_steps_correct_from_real']:.0f} from the real encodings",
          flush=True)
    if "inverse_accuracy/real" in metrics:
        print(f"dev inverse dynamics: names the action taken "
              f"{metrics['inverse_accuracy/real']:.2f} of the time from real encodings, "
              f"{metrics['inverse_accuracy/imagined']:.2f} from the first imagined step "
              f"(most common action "
              f"{metrics['baseline_most_common_action/inverse_accuracy']:.2f})", flush=True)
    print(f"dev squared error on moving pixels {metrics['moving_pixel_error']:.4f} (copy "
          f"last {metrics['baseline_copy_last/moving_pixel_error']:.4f})", flush=True)


def latent_drift(model, dev, steps=32, count=128):
    """How far imagination drifts from the encodings of the real stacks it stands for,
    unrolled `steps` along the real actions from `count` dev starts: the squared distance
    per dimension over the variance of real latents, per step (0: on track; 1: as far as
    an unrelated latent), and beside it how much consecutive real latents differ."""
    batch = input_pipeline.sequence_sampler(dev, model.stack_size, steps, count, seed=1)()
    imagined = model._unroll(batch)[0].numpy()[:count]  # the first member's chain
    # Against the encoder the policy reads real frames with (not a target copy of it).
    frames = batch["frames"].numpy()
    real = np.stack([model.encode(frames[:, j:j + model.stack_size])
                     for j in range(steps + 1)], 1)
    variance = real.var(axis=(0, 1)).mean()
    drift = ((imagined - real) ** 2).mean(axis=(0, 2)) / variance
    jump = ((real[:, 1:] - real[:, :-1]) ** 2).mean() / variance
    print(f"latent drift over {steps} imagined steps (of the real latents' variance): "
          f"{' '.join(f'{d:.2f}' for d in drift[1:])}; consecutive real latents differ by "
          f"{jump:.2f}", flush=True)


def policy_agreement(model, network, dev, steps=32, count=256):
    """Whether the policy reads imagination as it reads the real game: from `count` dev
    starts, the share of steps where its most likely action on the imagined latent (along
    the real actions) is the one it picks on the encoding of the real stack; beside it,
    the same share between the real encodings of unrelated states (what agreement by
    chance, from the policy's action mix alone, gives)."""
    batch = input_pipeline.sequence_sampler(dev, model.stack_size, steps, count, seed=2)()
    imagined = model._unroll(batch)[0].numpy()[:count]  # the first member's chain
    frames = batch["frames"].numpy()
    real = np.stack([model.encode(frames[:, j:j + model.stack_size])
                     for j in range(steps + 1)], 1)

    def greedy(latents):
        flat = latents.reshape(-1, latents.shape[-1])
        logits = network(tf.constant(flat)).logits.numpy()
        return logits.argmax(-1).reshape(latents.shape[:2])

    on_real, on_imagined = greedy(real), greedy(imagined)
    agree = (on_real == on_imagined).mean(0)
    chance = (on_real == np.roll(on_real, 1, axis=0)).mean()
    print(f"policy agreement, imagined vs real latents, per step: "
          f"{' '.join(f'{a:.2f}' for a in agree[1:])}; unrelated real states agree "
          f"{chance:.2f}", flush=True)


def action_effect(model, dev, steps=10, count=256):
    """Whether imagination depends on the action: from `count` dev starts, `steps` steps
    with each action held, decoded; the mean absolute difference (0..1 scale) between the
    last decoded frames of every pair of actions, beside that between each decoded last
    frame and the start's newest real frame (how much the frame changes at all)."""
    batch = input_pipeline.sequence_sampler(dev, model.stack_size, steps, count, seed=3)()
    stacks = batch["frames"].numpy()[:, :model.stack_size]
    start = model.encode(stacks)
    finals = []
    for action in range(model.num_actions):
        latent = start
        for _ in range(steps):
            latent, _, _ = model.imagine(latent, np.full(count, action))
        finals.append(model._decode(tf.constant(latent)).numpy())
    pairs = [np.abs(finals[a] - finals[b]).mean() for a in range(len(finals))
             for b in range(a + 1, len(finals))]
    moved = np.mean([np.abs(f - stacks[:, -1] / 255.0).mean() for f in finals])
    print(f"action effect after {steps} imagined steps: frames under different held "
          f"actions differ by {np.mean(pairs):.4f} on average (largest pair "
          f"{np.max(pairs):.4f}); decoded frames differ from the start by {moved:.4f}",
          flush=True)


def reward_control(model, dev, steps=16, count=512):
    """Whether an imagined outcome depends on what the agent does: from `count` dev starts,
    each action held for `steps` imagined steps; the share of starts where the summed
    likeliest rewards differ between actions, and the mean gap between the best and the
    worst action's summed expected reward. real_action_effect measures the same on the
    game."""
    batch = input_pipeline.sequence_sampler(dev, model.stack_size, steps, count, seed=4)()
    start = model.encode(batch["frames"].numpy()[:, :model.stack_size])
    expected, likeliest = held_action_totals(model, start, steps)
    differs = (likeliest.max(1) != likeliest.min(1)).mean()
    gap = (expected.max(1) - expected.min(1)).mean()
    print(f"reward control in imagination: with each action held {steps} steps, the summed "
          f"reward differs between actions from {differs:.3f} of the starts (best minus "
          f"worst expected sum {gap:.3f} on average)", flush=True)


def imagined_returns(env, choose, label, rollouts=2):
    """Mean imagined return per rollout of a policy in the imagination env: `choose` maps
    latents [N, D] to actions [N]. Measured for each constant action and random play
    before PPO and for the trained policy after it: if a constant action earns more in
    imagination than the trained policy, PPO is what fails, not the model."""
    obs, _ = env.reset(seed=123)
    total = np.zeros(env.num_envs)
    for _ in range(rollouts * env.rollout_length):
        obs, rewards, _, _, _ = env.step(choose(obs))
        total += rewards
    print(f"imagined return per {env.rollout_length}-step rollout, {label}: "
          f"{total.mean() / rollouts:.3f}", flush=True)
    return total.mean() / rollouts


def visited(model, act, config, train, steps, lead_path="", lead_steps=0, count=8192):
    """The ensemble's disagreement about the steps the trained policy (temperature 1, as
    a collection plays) and held random play visit, against the data's own steps; with
    `lead_path`, each after that exported policy has played `lead_steps` steps."""
    rng = np.random.default_rng(4)
    stack = model.stack_size
    starts = rng.choice(len(train["frame"]) - stack, count, replace=False)
    # Only windows within one episode: the frames' episode ids agree across the window.
    same = ((train["episode"][starts] == train["episode"][starts + stack])
            & (train["epoch"][starts] == train["epoch"][starts + stack]))
    starts = starts[same]
    latents = model.encode_windows(train["frame"], starts)
    actions = train["action"][starts + stack - 1]
    data = model.imagine(latents, actions, with_disagreement=True)[3]
    ones = tf.constant(np.ones(16, np.float32))
    lead, after = None, ""
    if lead_path:
        leader = saved_policy.LoadedPolicy(lead_path)
        leader.seed(6)
        lead, after = (lambda obs: leader.act(obs, 1.0)), f" after the lead's {lead_steps}"
        visited_disagreement(model, lead, config, data, steps=steps, lead=lead,
                             lead_steps=lead_steps, label=f"the lead policy{after}")
    else:
        lead_steps = 0
    visited_disagreement(model, lambda obs: act(tf.constant(obs), ones).numpy(), config,
                         data, steps=steps, lead=lead, lead_steps=lead_steps,
                         label=f"the trained policy, temperature 1{after}")
    held = HeldRandomActions(model.num_actions, 1.0, 16, seed=5)
    visited_disagreement(model, lambda obs: held(np.zeros(len(obs), np.int64))[0], config,
                         data, steps=steps, lead=lead, lead_steps=lead_steps,
                         label=f"random actions held 16 steps{after}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--game", default="pong")
    parser.add_argument("--dataset", default="")
    parser.add_argument("--wm_set", default="latent_dynamics_cpu")
    parser.add_argument("--wm_hparams", default="")
    parser.add_argument("--wm_dir", default="")
    parser.add_argument("--wm_seconds", type=float, default=600)
    parser.add_argument("--ppo_set", default="ppo_latent")
    parser.add_argument("--ppo_hparams", default="")
    parser.add_argument("--ppo_seconds", type=float, default=300)
    parser.add_argument("--envs", type=int, default=1024)
    parser.add_argument("--rollout", type=int, default=16)
    parser.add_argument("--steps_per_iteration", type=int, default=0,
                        help="steps of each sub-env per PPO iteration (default: --rollout); "
                             "rlmb_latent collects 32 whatever its rollout length")
    parser.add_argument("--reward_starts", type=float, default=0.25)
    parser.add_argument("--action_starts", type=float, default=0.0,
                        help="share of rollouts started where held actions' imagined "
                             "rewards differ most (rl/imagination_env.py)")
    parser.add_argument("--imagined_hold_probability", type=float, default=0.0,
                        help="held random actions in PPO's imagined rollouts "
                             "(rl/collect.HeldRandomActions; 0: none)")
    parser.add_argument("--imagined_mean_hold", type=float, default=16)
    parser.add_argument("--imagined_hold_log_prob", default="policy",
                        choices=["policy", "hold"],
                        help="what PPO's ratio divides by at a held step "
                             "(rl/rollout.RolloutCollector)")
    parser.add_argument("--intrinsic_weight", type=float, default=0.0,
                        help="train PPO on the transition ensemble's disagreement times "
                             "this (Plan2Explore), plus the model's reward times "
                             "--extrinsic_weight")
    parser.add_argument("--extrinsic_weight", type=float, default=1.0)
    parser.add_argument("--visited_steps", type=int, default=0,
                        help="play the trained policy (temperature 1) and random play "
                             "held 16 steps on average for this many steps in 16 fresh "
                             "episodes, and print the ensemble's disagreement about the "
                             "steps they visit against its disagreement on the data")
    parser.add_argument("--visited_lead_policy", default="",
                        help="an exported task policy (policy/epoch_NNN) that plays each "
                             "episode's first --visited_lead_steps steps at temperature 1 "
                             "before the trained policy takes over (--visited_steps)")
    parser.add_argument("--visited_lead_steps", type=int, default=300)
    parser.add_argument("--eval_episodes", type=int, default=8)
    parser.add_argument("--collect_steps", type=int, default=0)
    parser.add_argument("--skip_model_measures", action="store_true",
                        help="go from the world model straight to PPO (no drift, action "
                             "effect or reward control measures)")
    parser.add_argument("--frame_hparams", default="",
                        help="overrides of rlmb_latent's frame format for --collect_steps, "
                             "e.g. frame_height=84,frame_width=84")
    parser.add_argument("--counterfactual_states", type=int, default=512,
                        help="game states of the counterfactual measure; where the game's "
                             "rewards differ between actions is rare (about 6%% in Pong)")
    parser.add_argument("--counterfactual_seed", type=int, default=0)
    parser.add_argument("--score_at", default="",
                        help="PPO iterations after which the policy also plays the real "
                             "game, e.g. 60,180 (how its score grows with PPO's budget)")
    parser.add_argument("--transfer_steps", type=int, default=0,
                        help="rl.policy_transfer steps after each PPO iteration")
    parser.add_argument("--transfer_batch", type=int, default=1024)
    parser.add_argument("--transfer_learning_rate", type=float, default=3e-4)
    parser.add_argument("--replay_states", type=int, default=64,
                        help="game states for policy_replay_gap (0 leaves it out)")
    parser.add_argument("--skip_baselines", action="store_true",
                        help="score the final policy without the constant actions and "
                             "random play beside it")
    args = parser.parse_args()

    dataset = args.dataset or f"gym_{args.game}_random"
    if args.collect_steps and not dataset_files.list_epochs(args.data_dir, dataset):
        datagen.generate(args.data_dir, args.game, args.collect_steps,
                         hparams.resolve("rlmb_latent", args.frame_hparams), seed=0,
                         num_envs=8, random_mean_hold=16)
    fmt = dataset_files.dataset_stats(args.data_dir, dataset)["frame_format"]
    train, dev = (input_pipeline.load_split(args.data_dir, dataset, s) for s in ("train", "dev"))
    print(f"data: {len(train['frame'])} train frames, {len(dev['frame'])} dev", flush=True)
    seeding.seed_initialization(0)
    wm_hp = hparams.resolve(args.wm_set, args.wm_hparams)
    frame_shape = (fmt["height"], fmt["width"], fmt["channels"])
    model = LatentWorldModel(wm_hp, fmt["num_actions"], frame_shape)
    wm_dir = args.wm_dir or os.path.join("/tmp", f"latent_probe_{args.game}")
    train_world_model(model, train, dev, wm_hp, args.wm_seconds, wm_dir)
    if not args.skip_model_measures:
        latent_drift(model, dev)
        action_effect(model, dev)
        reward_control(model, dev, steps=args.rollout)
        real_action_effect(args.game, frame_shape, reward_steps=args.rollout)
        if frame_shape[2] == 1:  # the game's frames are rebuilt in gray
            counterfactual_agreement(model, args.game, frame_shape, steps=args.rollout,
                                     count=args.counterfactual_states,
                                     seed=args.counterfactual_seed)

    ppo_hp = hparams.resolve(args.ppo_set, args.ppo_hparams)
    # Steps collected from each sub-env per PPO iteration: the rollout length unless
    # given, as in a loop whose rollouts are shorter than its ppo_epoch_length.
    per_iteration = args.steps_per_iteration or args.rollout
    ppo_hp.num_agents, ppo_hp.epoch_length = args.envs, per_iteration
    env = LatentImaginationEnv(model, train, args.envs, args.rollout, seed=0,
                               reward_start_fraction=args.reward_starts,
                               action_start_fraction=args.action_starts,
                               intrinsic_weight=args.intrinsic_weight,
                               extrinsic_weight=args.extrinsic_weight)
    if args.action_starts:
        spread = env.action_start_spread
        print(f"action starts: {len(env.action_starts)} windows; held actions' reward "
              f"spread over {len(spread)} rated: mean {spread.mean():.3f}, 90th percentile "
              f"{np.percentile(spread, 90):.3f}, max {spread.max():.3f}", flush=True)
    rng = np.random.default_rng(5)
    for action in range(model.num_actions):
        imagined_returns(env, lambda obs, a=action: np.full(len(obs), a),
                         f"constant action {action}")
    imagined_returns(env, lambda obs: rng.integers(0, model.num_actions, len(obs)),
                     "uniform random")
    network = policies.make_policy_network(ppo_hp, env.single_observation_space,
                                           env.single_action_space)
    learner = ppo.PPOLearner(network, ppo_hp)
    explore = (HeldRandomActions(model.num_actions, args.imagined_hold_probability,
                                 args.imagined_mean_hold, seed=3)
               if args.imagined_hold_probability else None)
    collector = rollout.RolloutCollector(env, learner, seed=0, explore=explore,
                                         explore_log_prob=args.imagined_hold_log_prob)
    transfer = (policy_transfer.PolicyTransfer(env, network, train["action"],
                                               args.transfer_learning_rate,
                                               args.transfer_batch)
                if args.transfer_steps else None)
    agent = policies.EncodedPolicy(model.network, network)
    act = tf.function(lambda obs, t: ppo.sample(agent(obs), t, learner.generator))
    config = atari.AtariConfig(**{k: v for k, v in fmt.items()
                                  if k in {f.name for f in dataclasses.fields(atari.AtariConfig)}})

    def score(label, context=""):
        results = evaluation.evaluate_settings(
            lambda obs, temps: act(tf.constant(obs), tf.constant(temps, tf.float32)).numpy(),
            [(config, 0.0), (config, 1.0)], args.eval_episodes, num_envs=8, seed=1)
        for temperature, result in zip((0.0, 1.0), results):
            print(f"real {args.game}, {label}, temperature {temperature}: mean raw return "
                  f"{result['mean_raw_return']:.2f} over {result['episodes']} episodes "
                  f"{result['raw_returns']}{context}", flush=True)

    score_at = {int(i) for i in args.score_at.split(",") if i}
    began, iteration, steps = time.time(), 0, 0
    planned = max(1, ppo_hp.epochs_num)
    while time.time() - began < args.ppo_seconds and iteration < planned:
        learner.reseed(iteration)
        learner.set_progress(iteration / planned)
        batch = collector.collect(per_iteration, ppo_hp)
        metrics = learner.update(batch, np.random.default_rng(iteration))
        transfer_kl = [transfer.step() for _ in range(args.transfer_steps)] if transfer else []
        iteration += 1
        steps += len(batch["actions"])
        episodes = collector.episodes.pop_finished()
        if iteration % 20 == 1:
            mix = np.bincount(batch["actions"], minlength=fmt["num_actions"]) / len(
                batch["actions"])
            imagined = np.mean([e[1] for e in episodes]) if episodes else float("nan")
            print(f"ppo {iteration}: {steps} steps, {steps / (time.time() - began):.0f} "
                  f"steps/s, imagined return per rollout {imagined:.3f}, entropy "
                  f"{metrics['entropy']:.3f}, kl {metrics['approx_kl']:.4f}, "
                  + (f"transfer kl {transfer_kl[0]:.4f}, " if transfer_kl else "") + "actions "
                  f"{np.round(mix, 2).tolist()}", flush=True)
        if iteration in score_at:
            paused = time.time()
            score(f"after {iteration} PPO iterations")
            began += time.time() - paused  # scoring does not count against --ppo_seconds
    print(f"ppo: {iteration} iterations, {steps} simulated steps in "
          f"{time.time() - began:.0f}s, {steps / (time.time() - began):.0f} steps/s",
          flush=True)

    imagined_returns(env, lambda obs: network(tf.constant(obs)).logits.numpy().argmax(-1),
                     "the trained policy, greedy")
    policy_agreement(model, network, dev)
    if args.replay_states and frame_shape[2] == 1:  # the game's frames are rebuilt in gray
        policy_replay_gap(model, network, args.game, frame_shape, steps=args.rollout,
                          count=args.replay_states)
    if args.visited_steps:
        visited(model, act, config, train, args.visited_steps, args.visited_lead_policy,
                args.visited_lead_steps)
    if args.skip_baselines:
        score(f"after {iteration} PPO iterations")
        return
    constant = {a: evaluation.evaluate(lambda obs, a=a: np.full(len(obs), a), config,
                                       args.eval_episodes, num_envs=8, seed=1,
                                       label=f"constant action {a}")["mean_raw_return"]
                for a in range(fmt["num_actions"])}
    best = max(constant, key=constant.get)
    rng = np.random.default_rng(1)
    measured_random = evaluation.evaluate(
        lambda obs: rng.integers(0, fmt["num_actions"], len(obs)), config, args.eval_episodes,
        num_envs=8, seed=1, label="uniform random")["mean_raw_return"]
    random_score, simple_score = anchors.SCORES_100K.get(args.game, (None, None))
    score(f"after {iteration} PPO iterations",
          f"; best constant action {constant[best]:.2f} (action {best}, measured here), "
          f"uniform random {measured_random:.2f} (measured here; published {random_score}), "
          f"model-free PPO at 100K {anchors.PPO_100K.get(args.game)}, SimPLe {simple_score}")

if __name__ == "__main__":
    main()
