"""Networks: next-frame world models and policy/value networks."""
