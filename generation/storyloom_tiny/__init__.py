"""Storyloom Tiny: a small text-to-video model trained here, on clips the project draws itself.

- data: the procedural clips (shapes, colours, motions, backgrounds) and their captions in varied
  wording, with the combinations held out of training for the evaluation;
- analysis: what a clip shows, read back from its frames (the object's colour, motion and shape),
  for the evaluation and the tests.
"""
