"""The SimPLe loop: the library behind trainer_model_based.

  collect real data (random actions) ->
  for each epoch: train the world model on all real data (cumulative steps) ->
                  train PPO inside the world model -> [train the exploration policy
                  inside it, with real_explore_share > 0] -> collect real data with the
                  policy -> evaluate on the real game and the world model's reward accuracy

OUTPUT_DIR holds data/ (trajectory shards), world_model/ (its own run directory),
policy/epoch_NNN (a SavedModel per epoch), policy_checkpoints/, metrics.jsonl,
tensorboard/, hparams.json (the resolved tree), loop_state.json, learning_curve.png
(and explore_checkpoints/ with an exploration policy).

Every phase is recorded in loop_state.json when it finishes; re-running skips finished
phases, and a phase cut short resumes from its own checkpoint (world model, PPO) or is
redone from scratch with its partial output removed (a real-data collection).
"""

import dataclasses
import json
import os
import time
from typing import Any, Dict, Optional

import gymnasium as gym
import numpy as np
import tensorflow as tf

import hparams as hparams_lib
from hparams import HParams
from models import catalog, latent_dynamics, policies, saved_policy, seeding
from models.latent_world_model import LatentWorldModel
from models.world_model import WorldModel
from problems import atari, dataset_files, input_pipeline
from rl import baselines, datagen, evaluation, exploration, loop_report, loop_schedule, ppo
from rl import policy_realign, ppo_loop, real_env_ppo, rollout, run_dir, world_model_eval
from rl import collect as collect_lib, metrics as metrics_lib, world_model_trainer
from rl.checkpoints import restore_newest_intact
from rl.imagination_env import LatentImaginationEnv
from rl.loop_state import LoopState
from rl.simulated_env import SimulatedBatchEnv, start_arrays


class ModelBasedLoop:
    """Runs (or resumes) the loop for one output directory; see the module docstring."""

    def __init__(self, loop, output_dir, seed=0, command_line=None):
        self.loop = loop
        self.output_dir = output_dir
        self.seed = seed
        self.game = atari.check_game(loop.game)
        record = {"seed": seed, "loop_hparams": hparams_lib.resolve_tree(loop)}
        run_dir.prepare(output_dir, record, command_line)
        self.wm_hparams = loop_schedule.world_model_hparams(loop)
        catalog.check_world_model_name(loop.generative_model, self.wm_hparams)
        self.latent = catalog.is_latent(loop.generative_model)
        if loop.real_explore_share > 0 and not (
                self.latent and self.wm_hparams.get("transition_ensemble", 1) > 1):
            raise hparams_lib.UserError(
                "real_explore_share > 0 needs a latent world model with a transition "
                "ensemble (transition_ensemble >= 2): the explorer is trained on its "
                "members' disagreement")
        self.ppo = loop_schedule.ppo_hparams(loop)
        self.config = atari.AtariConfig.from_hparams(self.game, loop)
        self.data_dir = os.path.join(output_dir, "data")
        self.dataset = loop_schedule.dataset_name(self.game)
        self.state = LoopState(output_dir)
        self.learner = None
        self.explorer = None  # the exploration policy's PPOLearner (rl/exploration.py)
        self.world_model = None
        self._arrays, self._arrays_epochs = None, None  # decoded data, and of which epochs
        # With real_episodes_continue, the collections' env and its running episodes,
        # handed from one collection to the next. Held in memory only: a resumed run
        # starts fresh episodes at its first collection.
        self._running = (collect_lib.RunningEpisodes() if loop.real_episodes_continue
                         else None)
        self.started = time.time()

    # ----- phases -----

    def _run_phase(self, name, fn):
        if self.state.is_done(name):
            return
        began = time.time()
        counters = fn() or {}
        self.state.finish(name, time.time() - began, **counters)

    def collect(self, index: int) -> None:
        """Real-data collection `index` (0 is the initial, random one). From the second
        on, the current policy collects, and with train_agent_real_env it also learns from
        what it collects (rl/real_env_ppo.py)."""
        def run():
            dataset_files.remove_incomplete_epoch(self.data_dir, self.dataset, index)
            steps = loop_schedule.steps_per_collection(self.loop)
            policy, learning, split = None, None, None
            explore = self._exploration(index)
            exploring = (exploration.explore_envs(self.loop.real_collection_envs,
                                                  self.loop.real_explore_share)
                         if index > 0 else 0)
            if index > 0:
                learning = self._real_env_learning(index, explore, exploring)
                if learning is not None:
                    policy = learning.act
                else:
                    temperature = self.loop.real_sampling_temperature
                    act = self._act_on_frames()
                    if explore is None:
                        policy = lambda obs: act(obs, temperature)  # noqa: E731
                    else:
                        policy = lambda obs: explore(act(obs, temperature))[0]  # noqa: E731
            hold = self.loop.initial_collection_mean_hold
            who = loop_report.collector(hold, learning, policy is not None, explore,
                                        exploring, self.loop.real_collection_envs)
            if exploring:
                split = self._split_actor(index, policy, learning, exploring, steps)
                policy = split.act
            print(f"[collect {index}] {steps} real steps with {who}", flush=True)
            stats = datagen.generate(self.data_dir, self.game, steps, self.loop,
                                     policy=policy, config=self.config, dataset=self.dataset,
                                     epoch=index, seed=self.seed * 1000 + index,
                                     num_envs=self.loop.real_collection_envs,
                                     random_mean_hold=hold,
                                     on_step=(split.observe if split else
                                              learning.observe if learning else None),
                                     running=self._running)
            if explore is not None:
                print(f"[collect {index}] held random actions in "
                      f"{100 * explore.replaced_share:.1f}% of the steps", flush=True)
            if split is not None:
                print(f"[collect {index}] the exploration policy played "
                      f"{100 * split.explored_steps / steps:.1f}% of the steps", flush=True)
            before = self.state.data["real_env_steps"]
            # Every episode, finished or cut off, adds one frame beyond its steps (its last).
            real = before + stats["frames"] - stats["episodes"]
            values = {"mean_reward/train/clipped": stats["mean_clipped_return"],
                      "mean_reward/train/unclipped": stats["mean_raw_return"]}
            if learning is not None:
                values.update(self._finish_real_env_learning(learning, index))
            self._write_metrics("collect", before, real, values)
            return {"real_env_steps": real}
        self._run_phase(f"collect_{index}", run)

    def _exploration(self, index):
        """The HeldRandomActions that collection `index` mixes into its policy's actions,
        or None (the first collection is random play anyway; the loop set may ask for
        none)."""
        probability = self.loop.real_random_hold_probability
        if index == 0 or probability <= 0:
            return None
        return collect_lib.HeldRandomActions(self.num_actions, probability,
                                             self.loop.initial_collection_mean_hold,
                                             seed=self.seed * 1000 + index)

    def _split_actor(self, index, policy, learning, exploring, steps):
        """The SplitActor of collection `index`: the last `exploring` sub-envs are led by
        the task policy (not learning from them) and handed to the explorer at a step
        drawn uniformly in the collection; the others are `policy`'s (or `learning`'s)."""
        envs = self.loop.real_collection_envs
        temperature = self.loop.real_sampling_temperature
        act = self._act_on_frames()
        task_act = policy or (lambda obs: act(obs, temperature))  # noqa: E731
        explorer, world_model = self._explorer(), self._world_model()
        rng = np.random.default_rng([self.seed, index, 17])
        handoff = rng.integers(0, max(1, steps // envs), exploring)
        return exploration.SplitActor(
            task_act, lambda obs: act(obs, temperature),
            lambda obs: explorer.act(world_model.encode(obs), temperature)[0],
            envs - exploring, handoff,
            task_observe=learning.observe if learning else None)

    def _real_env_learning(self, index, explore=None, exploring=0):
        """The RealEnvPPO that collects and learns in collection `index`, or None when the
        loop does not train on real data, or when a run cut short after saving this
        collection's updates already holds them (the collection is redone without
        training again). With `exploring` sub-envs played by the explorer it learns from
        the others only, an update as many steps per sub-env apart as with all."""
        loop = self.loop
        if not loop.train_agent_real_env:
            return None
        learner = self._learner()
        if int(self.checkpointer.real_collections.numpy()) >= index:
            print(f"[collect {index}] the policy already holds this collection's PPO "
                  "updates (a run cut short): collecting without them", flush=True)
            return None
        envs = loop.real_collection_envs
        task_envs = envs - exploring
        updates = real_env_ppo.real_updates(self.ppo, task_envs,
                                            loop.real_ppo_epoch_length * task_envs // envs,
                                            loop.real_ppo_learning_rate)
        encode = self._world_model().encode if self.latent else None
        return real_env_ppo.RealEnvPPO(learner, updates, loop.real_sampling_temperature,
                                       encode=encode, seed=self.seed * 1000 + index,
                                       explore=explore)

    def _finish_real_env_learning(self, learning, index):
        """Saves the policy with collection `index`'s updates (and re-exports the epoch's
        policy, which the evaluation after this collection scores); returns their mean
        metrics."""
        self.checkpointer.save(int(self.checkpointer.iteration.numpy()),
                               int(self.checkpointer.env_steps.numpy()), real_collections=index)
        self._export_policy(index - 1)
        print(f"[collect {index}] {len(learning.metrics)} PPO updates on real data", flush=True)
        values = {"train_real/updates": float(len(learning.metrics))}
        for key in learning.metrics[0] if learning.metrics else ():
            values[f"train_real/{key}"] = float(np.mean([m[key] for m in learning.metrics]))
        return values

    def train_world_model(self, epoch: int) -> None:
        def run():
            target = loop_schedule.world_model_steps_until(self.loop, epoch)
            print(f"[epoch {epoch + 1}/{self.loop.epochs}] world model: training to step "
                  f"{target}", flush=True)
            arrays = self._data_arrays()
            training = world_model_trainer.TrainingRun(
                self.data_dir, os.path.join(self.output_dir, "world_model"),
                f"gym_{self.game}_random", self.loop.generative_model, self.wm_hparams,
                target, seed=self.seed + epoch, dataset=self.dataset,
                metrics_dir=self.output_dir)
            schedule = world_model_trainer.Schedule(
                eval_steps=self.loop.world_model_eval_steps,
                eval_rollouts=self.loop.eval_world_model_rollouts,
                eval_every=max(1, target), save_every=max(1, self.loop.model_train_steps),
                reward_eval_horizons=())
            # A latent policy reads the encoder that this training moves: its outputs
            # before (kept from a run cut short) are what it is realigned to after.
            realigning = self.latent and self.loop.policy_realign_steps > 0 and epoch > 0
            snapshot = policy_realign.snapshot_path(self.output_dir, epoch)
            if realigning and not os.path.exists(snapshot):
                policy_realign.snapshot(self._learner().network, self._world_model(),
                                        self._start_arrays(), snapshot, seed=self.seed + epoch)
            _, self.world_model = world_model_trainer.train(
                training, schedule, arrays=arrays, world_model=self.world_model)
            if realigning:
                result = policy_realign.realign(
                    self._learner().network, self.world_model, self._start_arrays(), snapshot,
                    self.loop.policy_realign_steps, seed=self.seed + epoch)
                self.checkpointer.save(int(self.checkpointer.iteration.numpy()),
                                       int(self.checkpointer.env_steps.numpy()))
                print(f"[epoch {epoch + 1}] {policy_realign.describe(result)}", flush=True)
                last = self.state.data["real_env_steps"]
                self._write_metrics("realign", last - 1, last,
                                    {f"realign/{k}": v for k, v in result.items()})
        self._run_phase(f"world_model_{epoch}", run)

    def _start_arrays(self):
        return start_arrays(self._data_arrays()[0], self.loop.simulated_starts_all_epochs)

    def train_policy(self, epoch: int) -> None:
        def run():
            world_model = self._world_model()
            learner = self._learner()
            start = int(self.checkpointer.iteration.numpy())
            stop = sum(loop_schedule.ppo_iterations_in_epoch(self.loop, e)
                       for e in range(epoch + 1))
            explore = self._imagined_exploration(start)
            held = ("" if explore is None else
                    f", each sub-env starts holding a random action ({explore.mean_hold:g} "
                    f"steps on average) with probability {explore.probability:g} a step")
            print(f"[epoch {epoch + 1}/{self.loop.epochs}] PPO in the world model: "
                  f"iterations {start + 1}..{stop}{held}", flush=True)
            env = self._simulated_env(world_model, seed=self.seed * 1000 + start)
            collector = rollout.RolloutCollector(env, learner, seed=self.seed + start,
                                                 explore=explore)
            steps_per_iteration = self.ppo.num_agents * self.ppo.epoch_length
            writer = metrics_lib.MetricsWriter(self.output_dir, "ppo_simulated",
                                               resume_step=start * steps_per_iteration)
            try:
                ppo_loop.run_iterations(learner, collector, self.ppo, start, stop,
                                          self.ppo.epochs_num, writer, self.checkpointer,
                                          seed=self.seed, label="  ppo iteration",
                                          reward_scope="simulated")
            finally:
                writer.close()
            self._export_policy(epoch)
            return {"simulated_env_steps": stop * steps_per_iteration}
        self._run_phase(f"ppo_{epoch}", run)

    def train_explorer(self, epoch: int) -> None:
        """PPO for the exploration policy in the world model, on the transition
        ensemble's disagreement (and explore_extrinsic_weight times the model's reward):
        explore_ppo_epochs_num iterations an epoch, from the same starts as the task
        policy's (rl/exploration.py)."""
        if self.loop.real_explore_share <= 0:
            return

        def run():
            explorer = self._explorer()
            exploration.train_explorer(explorer, self.explorer_checkpointer,
                                       self._world_model(), self._start_arrays(), self.loop,
                                       self.ppo,
                                       self.output_dir, self.seed, epoch)
        self._run_phase(f"explore_{epoch}", run)

    def _imagined_exploration(self, start):
        """The HeldRandomActions mixed into PPO's actions in the world model from
        iteration `start` on, or None. Exploring in imagination costs no real steps and
        leaves the collections to the policy; it lets PPO meet what a long held action
        earns in the model, which its own sampling almost never plays (Crazy Climber's
        way past the wall, and Kung-Fu Master's collapse: benchmarks/RESULTS.md)."""
        probability = self.loop.simulated_random_hold_probability
        if probability <= 0:
            return None
        return collect_lib.HeldRandomActions(self.num_actions, probability,
                                             self.loop.simulated_random_hold_mean,
                                             seed=self.seed * 1000 + 500 + start)

    def _export_policy(self, epoch):
        """policy/epoch_NNN: the current policy as a SavedModel that reads frame stacks (a
        latent loop's carries the world model's encoder)."""
        network = self._learner().network
        if self.latent:
            network = policies.EncodedPolicy(self._world_model().network, network)
        saved_policy.export_policy(
            network, gym.spaces.Box(0, 255, self.config.observation_shape, np.uint8),
            dict(self.config.to_dict(), kind="atari", num_actions=self.num_actions),
            os.path.join(self.output_dir, "policy", f"epoch_{epoch:03d}"))

    def evaluate(self, epoch: int) -> None:
        def run():
            loop = self.loop
            real = self.state.data["real_env_steps"]
            act = self._act_on_frames()
            settings = loop_schedule.eval_settings(loop, epoch)
            results = evaluation.evaluate_settings(
                act,
                [(dataclasses.replace(self.config, max_num_noops=noops), temperature)
                 for temperature, noops in settings],
                loop.eval_episodes, num_envs=loop.eval_envs, seed=self.seed * 1000 + epoch,
                label=f"eval ({len(settings)} settings)")
            values, lines = loop_report.eval_values(settings, results)
            world_model = self._world_model()
            _, dev_arrays = self._data_arrays()
            for horizon in (12, 50):
                accuracy = world_model_eval.multi_step_eval(
                    world_model, dev_arrays, horizon, loop.eval_world_model_rollouts,
                    stack_size=loop.frame_stack_size, seed=self.seed + epoch)["reward_accuracy"]
                values[f"reward_accuracy/at_{horizon}"] = accuracy
                values[f"world_model/reward_accuracy_at_{horizon}"] = accuracy
            found = self.references()
            for label, score in found.items():
                if label.startswith("best constant action"):
                    values["baseline/best_constant_action"] = score
            self._write_metrics("eval", real - 1, real, values)
            self.plot()
            print(f"[epoch {epoch + 1}/{self.loop.epochs}] eval after {real} real steps: "
                  + "; ".join(lines) + f" [{baselines.reference_line(found)}]", flush=True)
        self._run_phase(f"eval_{epoch}", run)

    def _write_metrics(self, phase, last_finished_step, step, values):
        """Writes one phase's metrics at `step`, first dropping any this phase wrote past
        `last_finished_step` in a run that was cut short before recording the phase."""
        writer = metrics_lib.MetricsWriter(self.output_dir, phase,
                                           resume_step=last_finished_step)
        writer.write(step, values)
        writer.close()

    # ----- shared state, built on first use (a resumed run may skip the phase that
    # would have built it) -----

    @property
    def num_actions(self) -> int:
        return dataset_files.dataset_stats(self.data_dir, self.dataset)["frame_format"][
            "num_actions"]

    def _data_arrays(self):
        """Decoded (train, dev) arrays of all real data so far. Each data epoch's PNG
        frames are decoded once per process: new epochs are appended to the cache."""
        epochs = dataset_files.list_epochs(self.data_dir, self.dataset)
        known = self._arrays_epochs or []
        new = [e for e in epochs if e not in known]
        if new or self._arrays is None:
            fresh = tuple(input_pipeline.load_split(self.data_dir, self.dataset, split, new)
                          for split in ("train", "dev"))
            if self._arrays is None:
                self._arrays = fresh
            else:
                self._arrays = tuple(input_pipeline.concatenate_arrays(old, add)
                                     for old, add in zip(self._arrays, fresh))
            self._arrays_epochs = known + new
        return self._arrays

    def _simulated_env(self, world_model, seed):
        """The vector env PPO trains in: the pixel simulator, or latent imagination."""
        loop = self.loop
        train_arrays = self._start_arrays()
        if self.latent:
            return LatentImaginationEnv(world_model, train_arrays, loop.simulated_batch_size,
                                        loop.simulated_rollout_length, seed=seed,
                                        reward_start_fraction=loop.simulated_reward_starts)
        return SimulatedBatchEnv(world_model, train_arrays, loop.simulated_batch_size,
                                 loop.simulated_rollout_length, self.num_actions,
                                 loop.frame_stack_size,
                                 temperature=loop.simulation_sampling_temperature,
                                 seed=seed, reward_start_fraction=loop.simulated_reward_starts)

    def _act_on_frames(self):
        """act(frame stacks, temperature or temperatures) -> actions, for real envs: the
        policy itself, or for a latent loop the world model's encoder and then the policy."""
        learner = self._learner()
        if not self.latent:
            return lambda obs, temperature: learner.act(obs, temperature)[0]
        world_model = self._world_model()
        return lambda obs, temperature: learner.act(world_model.encode(obs), temperature)[0]

    def _world_model(self):
        if self.world_model is None:
            shape = (self.config.height, self.config.width, self.config.channels)
            if self.latent:
                self.world_model = LatentWorldModel(self.wm_hparams, self.num_actions, shape)
            else:
                self.world_model = WorldModel(self.wm_hparams, self.num_actions, shape,
                                              self.loop.generative_model)
            manager = tf.train.CheckpointManager(
                self.world_model.checkpoint,
                os.path.join(self.output_dir, "world_model", "checkpoints"), 2)
            restore_newest_intact(self.world_model.checkpoint, manager, "world model")
        return self.world_model

    def _policy_observations(self):
        """What the policies read: the world model's latents, or the frame stacks."""
        if self.latent:
            size = latent_dynamics.latent_size(
                self.wm_hparams, (self.config.height, self.config.width, self.config.channels))
            return gym.spaces.Box(-1.0, 1.0, (size,), np.float32)
        return gym.spaces.Box(0, 255, self.config.observation_shape, np.uint8)

    def _new_learner(self, seed, directory):
        """A PPOLearner on what the policies read, its weights seeded by `seed`, and its
        Checkpointer under `directory`, restored from the newest checkpoint there."""
        seeding.seed_initialization(seed)
        network = policies.make_policy_network(self.ppo, self._policy_observations(),
                                               gym.spaces.Discrete(self.num_actions))
        learner = ppo.PPOLearner(network, self.ppo)
        checkpointer = ppo_loop.Checkpointer(os.path.join(self.output_dir, directory),
                                             learner)
        checkpointer.restore()
        return learner, checkpointer

    def _learner(self):
        if self.learner is None:
            self.learner, self.checkpointer = self._new_learner(self.seed,
                                                                "policy_checkpoints")
        return self.learner

    def _explorer(self):
        """The exploration policy's PPOLearner: the task policy's network shape and PPO
        set, its own weights (seeded apart) and checkpoints (explore_checkpoints/)."""
        if self.explorer is None:
            self._learner()  # built first, so its seeded weights stay as without an explorer
            self.explorer, self.explorer_checkpointer = self._new_learner(
                self.seed + 7919, "explore_checkpoints")
        return self.explorer

    # ----- reporting -----

    def references(self) -> Dict[str, float]:
        return loop_report.references(self.game, self.config, self.loop)

    def plot(self) -> None:
        loop_report.plot_learning_curve(self.output_dir, self.game, self.references())

    def summary(self) -> Dict[str, Any]:
        return loop_report.summary(self.output_dir, self.state.data, self.references())

    def run(self) -> Dict[str, Any]:
        try:
            return self._run()
        finally:
            if self._running is not None:
                self._running.close()

    def _run(self) -> Dict[str, Any]:
        loop = self.loop
        self.collect(0)
        for epoch in range(loop.epochs):
            self.train_world_model(epoch)
            self.train_policy(epoch)
            self.train_explorer(epoch)
            self.collect(epoch + 1)
            self.evaluate(epoch)
            elapsed = time.time() - self.started
            print(f"[epoch {epoch + 1}/{loop.epochs}] done, {elapsed:.0f}s this run, about "
                  f"{elapsed / (epoch + 1) * (loop.epochs - epoch - 1):.0f}s left, peak "
                  f"memory {self.state.data.get('peak_memory_mb', 0.0):.0f} MiB", flush=True)
        result = self.summary()
        scores = {k[len("eval/mean_return/"):]: round(v, 2)
                  for k, v in result["final_eval"].items() if k.endswith("_unclipped")}
        print(f"final: {self.game}, {result['real_env_steps']} real env steps, "
              f"{result['simulated_env_steps']} simulated steps, peak memory "
              f"{result['peak_memory_mb']} MiB", flush=True)
        print(f"final: mean raw return {json.dumps(scores)}"
              + f" ({baselines.reference_line(self.references())})", flush=True)
        return result


def train(loop: HParams, output_dir: str, seed: int = 0,
          command_line: Optional[str] = None) -> Dict[str, Any]:
    """Runs or resumes the loop; returns its summary."""
    return ModelBasedLoop(loop, output_dir, seed, command_line).run()
