"""BiSeNet's classes (face-parsing.PyTorch's 79999_iter.pth, CelebAMask-HQ order) that the
likeness reads. 0 background, 1 skin, 2/3 brows, 4/5 eyes, 6 eyeglasses, 7/8 ears, 9 earring,
10 nose, 11 mouth, 12/13 lips, 14 neck, 15 necklace, 16 cloth, 17 hair, 18 hat."""

from __future__ import annotations

SKIN, EYE_L, EYE_R, GLASSES, EAR_L, EAR_R, EARRING, NOSE, U_LIP, L_LIP, NECK, CLOTH, HAIR, HAT = \
    1, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 16, 17, 18
