"""Torch models only: architectures whose module names match the published checkpoints.

Nothing here loads files or knows about Moji's pipeline; the embedders and the BiSeNet parser
build these, load weights into them and run them. Importing this package imports torch.
"""
