"""Published reference scores at 100K agent steps (SimPLe, Kaiser et al. 2019, mean of 5
runs; random-policy scores from the same table), drawn as lines on learning curves."""

# game: (random, SimPLe)
SCORES_100K = {
    "freeway": (0.0, 16.7),
    "pong": (-20.7, 12.8),
    "breakout": (1.7, 16.4),
    "boxing": (0.1, 7.8),
    "krull": (1598.0, 2204.8),
    "kung_fu_master": (258.5, 14862.5),
    "crazy_climber": (10780.5, 62583.6),
}

# game: model-free PPO's training return near 100K agent steps (400K frames), from the
# DreamerV3 authors' published PPO baseline scores (../shared/anchors.md lists the first
# four). The last three are not in that list: each is the mean, over the 5 seeds, of the
# training episodes that end between 300K and 400K frames in the same published scores
# (danijar/dreamerv3, scores/atari100k-ppo_fixhp.json.gz). That reading gives 2.0, -20.3,
# 2.8 and 1.2 for the first four, in this order.
PPO_100K = {
    "freeway": 2.2,
    "pong": -20.3,
    "breakout": 2.8,
    "boxing": 1.4,
    "kung_fu_master": 1913.3,
    "krull": 3271.2,
    "crazy_climber": 11609.5,
}

# game: human score (the same table as SCORES_100K). With random play it sets the scale
# on which scores of different games can be added: (score - random) / (human - random).
HUMAN = {
    "freeway": 29.6,
    "pong": 14.6,
    "breakout": 30.5,
    "boxing": 12.1,
    "krull": 2665.5,
    "kung_fu_master": 22736.3,
    "crazy_climber": 35829.4,
}


def human_normalized(game, score):
    """(score - random) / (human - random), or None for a game without both figures."""
    if game not in HUMAN or game not in SCORES_100K or score is None:
        return None
    random_score = SCORES_100K[game][0]
    return (score - random_score) / (HUMAN[game] - random_score)
