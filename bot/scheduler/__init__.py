"""Weekly reflection prompts and manager nudges, each sent exactly once across replicas."""
