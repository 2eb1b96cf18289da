"""Storyloom Tiny: a small text-to-video model trained here, on clips the project draws itself.

- data: the procedural clips (shapes, colours, motions, backgrounds) and their captions in varied
  wording, with the combinations held out of training for the evaluation;
- model: the diffusers parts (an LTX-Video VAE and a CogVideoX transformer with small configs, in
  a CogVideoXPipeline, MiniLM as the text encoder)
  and the assembly of the pipeline directory the `storyloom-tiny` preset loads;
- train: the seeded, resumable training behind `manage.py tiny_train`;
- analysis: what a clip shows, read back from its frames (the object's colour, motion and shape);
- evaluation: renders of held-out prompts scored by that analysis (`manage.py tiny_evaluate`).

The trained weights and their model card are in weights/.
"""
