"""Entrypoints check their flags before TensorFlow loads, so a typo costs a second, not
the several seconds TensorFlow's import takes; and the checks they run for that."""

import subprocess
import sys

import pytest

import hparams
from hparams.errors import UserError
from models import catalog
from problems.registry import resolve_problem
from tests.conftest import REPO

# Entrypoints as subprocesses: tests/conftest.py explains the tiers.
pytestmark = pytest.mark.slow

# Runs an entrypoint as __main__ and reports, after its one-line error, whether
# TensorFlow had been imported by then.
PROBE = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
except SystemExit as e:
    print("exit", e.code, "tensorflow loaded:", "tensorflow" in sys.modules)
"""


@pytest.mark.parametrize("module, args, message", [
    ("rl.trainer_model_free", ["--problem=stacked_pongg", "--hparams_set=rlmf_tiny",
                               "--output_dir=OUT"], "unknown Atari game 'pongg'"),
    ("rl.trainer_model_free", ["--problem=CartPole-v1", "--hparams_set=rlmf_tiny",
                               "--output_dir=OUT"], "has vector observations"),
    ("rl.trainer_model_based", ["--loop_hparams_set=rlmb_tiny", "--loop_hparams=game=pongg",
                                "--output_dir=OUT"], "unknown Atari game 'pongg'"),
    ("rl.datagen_with_agent", ["--game=pong", "--env_hparams=num_env=3", "--data_dir=OUT"],
     "unknown hparam 'num_env'"),
    ("rl.trainer_world_model", ["--problem=gym_pong_random", "--data_dir=/nonexistent/d",
                                "--output_dir=OUT"], "does not exist"),
    ("rl.trainer_world_model", ["--problem=gym_pong_random", "--model=next_frame_fancy",
                                "--data_dir=/nonexistent/d", "--output_dir=OUT"],
     "unknown world model"),
    ("rl.trainer_model_free", ["--problem=stacked_pong", "--hparams_set=rlmf_tiny",
                               "--hparams=save_every=0", "--output_dir=OUT"],
     "'save_every' must be at least 1"),
    ("rl.trainer_model_free", ["--problem=stacked_pong", "--hparams_set=rlmf_tiny",
                               "--hparams=num_agents=0", "--output_dir=OUT"],
     "'num_agents' must be at least 1"),
    ("rl.trainer_model_based", ["--loop_hparams_set=rlmb_latent_tiny",
                                "--loop_hparams=ppo_epochs_num=0", "--output_dir=OUT"],
     "'ppo_epochs_num' must be at least 1"),
    ("rl.trainer_model_based", ["--loop_hparams_set=rlmb_latent_tiny",
                                "--loop_hparams=ppo_entropy_los_coef=0.1", "--output_dir=OUT"],
     "did you mean: ppo_entropy_loss_coef"),
    ("rl.trainer_world_model", ["--problem=gym_pong_random", "--model=latent_dynamics",
                                "--data_dir=/nonexistent/d", "--output_dir=OUT"],
     "needs a latent set"),
    ("rl.datagen_with_agent", ["--game=pong", "--num_env_steps=99999999999999999999",
                               "--data_dir=OUT"], "--num_env_steps must be at most"),
    ("rl.trainer_model_based", ["--loop_hparams_set=rlmb_latent_tiny",
                                "--loop_hparams=generative_model_params=latent_dynamics_tin",
                                "--output_dir=OUT"],
     "loop field 'generative_model_params' names an unknown hparams set 'latent_dynamics_tin'"),
    ("rl.trainer_model_based", ["--loop_hparams_set=rlmb_latent_tiny",
                                "--loop_hparams=generative_model_params=next_frame_tiny",
                                "--output_dir=OUT"], "needs a latent set"),
    ("rl.trainer_world_model", ["--problem=gym_pong_random", "--data_dir=/nonexistent/d",
                                "--model=latent_dynamics", "--hparams_set=latent_dynamics_tiny",
                                "--hparams=action_injection=sum", "--output_dir=OUT"],
     "action_injection must be one of concat, multiplicative, got 'sum'"),
    ("rl.trainer_model_based", ["--loop_hparams_set=rlmb_latent_tiny", "--output_dir=FILE"],
     "is a file, not a directory"),
    ("rl.trainer_model_free", ["--problem=stacked_pong", "--hparams_set=rlmf_tiny",
                               "--output_dir=FILE"], "--output_dir 'FILE' is a file"),
    ("rl.trainer_world_model", ["--problem=gym_pong_random", "--data_dir=/nonexistent/d",
                                "--train_steps=0", "--output_dir=OUT"],
     "--train_steps must be positive"),
    ("rl.datagen_with_agent", ["--game=pong", "--data_dir=OUT", "--tmp_dir=FILE"],
     "--tmp_dir 'FILE' is a file"),
    # POLICY: a directory laid out as an exported Pong policy (see the test body).
    ("rl.datagen_with_agent", ["--game=freeway", "--eval", "--agent_policy_path=POLICY"],
     "plays pong, not freeway"),
    ("rl.datagen_with_agent", ["--game=pong", "--data_dir=OUT",
                               "--agent_policy_path=/nonexistent"], "is not a policy SavedModel"),
    ("rl.datagen_with_agent", ["--game=pong", "--eval", "--agent_policy_path=OUT"],
     "is not a policy SavedModel"),
    ("rl.datagen_with_agent", ["--game=pong", "--eval", "--agent_policy_path=NOFORMAT"],
     "has no observation_format.json"),
    # RUN: a model-based run directory whose newest exported policy (epoch_001) plays Pong.
    ("rl.datagen_with_agent", ["--game=freeway", "--eval", "--agent_policy_path=RUN"],
     "the policy in 'RUN/policy/epoch_001' plays pong, not freeway"),
    ("rl.datagen_with_agent", ["--game=freeway", "--eval",
                               "--agent_policy_path=RUN/checkpoints"],
     "the policy in 'RUN/policy/epoch_001' plays pong, not freeway"),
])
def test_bad_flags_are_reported_before_tensorflow_loads(tmp_path, module, args, message):
    (tmp_path / "a_file").write_text("not a directory")
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "policy").mkdir()
    for name, fmt in (("policy", '{"kind": "atari", "game": "pong"}'), ("noformat", None),
                      ("run/policy/epoch_000", '{"kind": "atari", "game": "freeway"}'),
                      ("run/policy/epoch_001", '{"kind": "atari", "game": "pong"}')):
        (tmp_path / name).mkdir()
        (tmp_path / name / "saved_model.pb").write_bytes(b"")
        if fmt:
            (tmp_path / name / "observation_format.json").write_text(fmt)
    args = [arg.replace("OUT", str(tmp_path / "out")).replace("FILE", str(tmp_path / "a_file"))
            .replace("NOFORMAT", str(tmp_path / "noformat"))
            .replace("POLICY", str(tmp_path / "policy")).replace("RUN", str(tmp_path / "run"))
            for arg in args]
    message = message.replace("FILE", str(tmp_path / "a_file")).replace(
        "RUN", str(tmp_path / "run"))
    result = subprocess.run([sys.executable, "-c", PROBE, module, *args], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert message in result.stderr, result.stderr[-2000:]
    assert "exit 2 tensorflow loaded: False" in result.stdout, result.stdout[-2000:]


def test_every_registered_set_is_within_its_ranges():
    for name in hparams.list_sets():
        hparams.resolve(name)  # raises for a field outside hparams/ranges.py's range


@pytest.mark.parametrize("override, message", [
    ("epochs_num=0", "'epochs_num' must be at least 1, got 0"),
    ("gae_lambda=1.5", "'gae_lambda' must be between 0.0 and 1.0"),
    ("frame_skip=-1", "'frame_skip' must be at least 1"),
])
def test_values_outside_their_range_are_refused(override, message):
    with pytest.raises(UserError, match=message):
        hparams.resolve("rlmf_tiny", override)


def test_policy_network_must_exist_and_fit_the_observations():
    pong, cartpole = resolve_problem("stacked_pong"), resolve_problem("CartPole-v1")
    catalog.check_policy_network(pong, hparams.get("ppo_atari_cleanrl"))
    catalog.check_policy_network(cartpole, hparams.get("ppo_discrete_action_base"))
    with pytest.raises(UserError, match="has image observations"):
        catalog.check_policy_network(pong, hparams.get("ppo_discrete_action_base"))
    with pytest.raises(UserError, match="unknown policy_network 'resnet'"):
        catalog.check_policy_network(pong, hparams.resolve("ppo_atari_cleanrl",
                                                           "policy_network=resnet"))
