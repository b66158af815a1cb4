"""The hparams parser and registry against hand-written cases, error paths included."""

import json

import pytest

import hparams
from hparams import HParams, UserError, registry


def make():
    return HParams(lr=0.1, steps=10, game="pong", temps=[0.5, 0.0], sizes=[1, 2], flag=False,
                   anything=None)


def test_parse_types_follow_defaults():
    hp = make().parse("lr=2e-4,steps=5,game=freeway,temps=[1.0,0.0,0.5],sizes=[3],flag=True")
    assert hp.lr == pytest.approx(2e-4) and isinstance(hp.lr, float)
    assert hp.steps == 5 and isinstance(hp.steps, int)
    assert hp.game == "freeway"
    assert hp.temps == [1.0, 0.0, 0.5]
    assert hp.sizes == [3] and isinstance(hp.sizes[0], int)
    assert hp.flag is True


def test_int_given_to_float_field_becomes_float():
    hp = make().parse("lr=1")
    assert hp.lr == 1.0 and isinstance(hp.lr, float)


def test_bool_spellings_and_empty_list_and_spaces():
    assert make().parse("flag=true").flag is True
    assert make().parse("flag=False").flag is False
    assert make().parse("temps=[]").temps == []
    assert make().parse(" steps = 7 , game = 'ms_pacman' ").steps == 7
    assert make().parse(" steps = 7 , game = 'ms_pacman' ").game == "ms_pacman"


def test_none_default_infers_type():
    assert make().parse("anything=3").anything == 3
    assert make().parse("anything=0.5").anything == 0.5
    assert make().parse("anything=abc").anything == "abc"


def test_empty_override_string_changes_nothing():
    assert make().parse("") == make()


def test_unknown_key_names_closest():
    with pytest.raises(UserError, match=r"unknown hparam 'step'.*steps"):
        make().parse("step=3")


@pytest.mark.parametrize("override, message", [
    ("steps=0.5", r"'steps' expects int, got '0.5'"),
    ("lr=fast", r"'lr' expects float, got 'fast'"),
    ("flag=maybe", r"'flag' expects bool"),
    ("temps=0.5", r"'temps' expects list of float"),
    ("sizes=[1,x]", r"'sizes' expects int, got 'x'"),
    ("steps=[1,2]", r"'steps' expects int, got a list"),
    ("steps", r"not of the form key=value"),
    ("=3", r"empty key"),
    ("temps=[0.5", r"unbalanced '\['"),
    ("temps=0.5]", r"unbalanced '\]'"),
])
def test_bad_values_name_key_and_type(override, message):
    with pytest.raises(UserError, match=message):
        make().parse(override)


def test_failed_parse_leaves_fields_unchanged():
    hp = make()
    with pytest.raises(UserError):
        hp.parse("steps=3,lr=oops")
    assert hp == make()


def test_values_and_json_round_trip():
    hp = make()
    values = hp.values()
    values["temps"].append(9.0)  # a copy: the HParams is not changed through it
    assert hp.temps == [0.5, 0.0]
    again = HParams.from_json(hp.to_json())
    assert again == hp and json.loads(hp.to_json())["game"] == "pong"


def test_attribute_errors():
    hp = make()
    with pytest.raises(AttributeError, match="steps"):
        _ = hp.stepz
    with pytest.raises(UserError, match="unknown hparam"):
        hp.stepz = 3
    hp.add_hparam("new_field", 1)
    assert hp.new_field == 1
    with pytest.raises(ValueError):
        hp.add_hparam("new_field", 2)


def test_registry_lookup_and_closest_matches():
    assert "atari_simple" in hparams.list_sets()
    assert hparams.get("atari_simple").frame_stack_size == 4
    with pytest.raises(UserError, match=r"unknown hparams set 'atari_simpel'.*atari_simple"):
        hparams.get("atari_simpel")


def test_registry_returns_fresh_copies():
    first = hparams.get("atari_simple")
    first.num_envs = 99
    assert hparams.get("atari_simple").num_envs != 99


def test_resolve_applies_overrides_and_listing_names_every_set():
    assert hparams.resolve("atari_simple", "num_envs=3").num_envs == 3
    listing = hparams.format_listing()
    for name in hparams.list_sets():
        assert name in listing


def test_register_twice_is_an_error():
    def atari_simple():
        return HParams()
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(atari_simple)


def test_resolve_tree_expands_named_subsets():
    loop = HParams(epochs=2, ppo_params="atari_nature", generative_model_params="")
    tree = hparams.resolve_tree(loop)
    assert tree["ppo_params_resolved"]["frame_height"] == 84
    assert "generative_model_params_resolved" not in tree
    with pytest.raises(UserError, match="unknown hparams set"):
        hparams.resolve_tree(HParams(ppo_params="no_such_set"))


def test_every_ppo_field_is_a_loop_knob():
    from rl import loop_schedule

    loop = hparams.resolve("rlmb_latent", "ppo_entropy_loss_coef=0.02,"
                           "ppo_optimization_epochs=2,ppo_mlp_hidden_sizes=[64,64]")
    ppo = loop_schedule.ppo_hparams(loop)
    assert ppo.entropy_loss_coef == 0.02 and isinstance(ppo.entropy_loss_coef, float)
    assert ppo.optimization_epochs == 2 and ppo.mlp_hidden_sizes == [64, 64]
    # Fields the loop set already had keep their meaning; the rest come from the PPO set.
    assert ppo.learning_rate == loop.ppo_learning_rate
    assert ppo.epoch_length == loop.ppo_epoch_length == 32
    assert ppo.num_agents == loop.simulated_batch_size
    assert ppo.epochs_num == loop_schedule.planned_ppo_iterations(loop)
    assert ppo.clipping_coef == hparams.get("ppo_latent").clipping_coef
    # The PPO set named in the same overrides decides which fields exist.
    pixel = hparams.resolve("rlmb_base", "base_algo_params=,ppo_params=ppo_pong_base,"
                            "ppo_entropy_loss_coef=0.05")
    assert loop_schedule.ppo_hparams(pixel).entropy_loss_coef == 0.05


@pytest.mark.parametrize("override, message", [
    ("ppo_entropy_los_coef=0.1", "did you mean: ppo_entropy_loss_coef"),
    ("ppo_num_agents=8", "from simulated_batch_size"),
    ("ppo_optimization_epochs=two", "expects int"),
])
def test_bad_ppo_knobs_are_one_line_errors(override, message):
    with pytest.raises(UserError, match=message):
        hparams.resolve("rlmb_latent", override)


def test_u16_latent_set_differs_from_the_loop_default_only_in_unroll_length():
    base = registry.get("latent_dynamics_ensemble").values()
    u16 = registry.get("latent_dynamics_ensemble_u16").values()
    assert {k for k in base if base[k] != u16[k]} == {"unroll_steps"}
    assert (base["unroll_steps"], u16["unroll_steps"]) == (10, 16)
