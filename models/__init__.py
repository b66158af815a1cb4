"""Networks: next-frame world models, the latent world model and policy/value networks."""
