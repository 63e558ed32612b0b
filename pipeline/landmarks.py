"""MediaPipe face-mesh indices Moji uses, named once.

"Left" and "right" are image left and right (the viewer's), as everywhere in Moji; MediaPipe's
blendshape names use the subject's own left and right, which is the other way round.
"""

FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
             377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67,
             109]
EYE_LEFT = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
EYE_RIGHT = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
BROW_LEFT = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46]
BROW_RIGHT = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276]
LIPS_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40,
              185]

EYE_LEFT_CORNERS = (33, 133)
EYE_RIGHT_CORNERS = (362, 263)
EYE_LEFT_LIDS = ((159, 145), (158, 153), (160, 144))  # (upper, lower) pairs
EYE_RIGHT_LIDS = ((386, 374), (385, 380), (387, 373))
MOUTH_CORNERS = (61, 291)
LIP_INNER = (13, 14)  # upper and lower inner lip, mid-line
LIP_OUTER = (0, 17)
FOREHEAD, CHIN = 10, 152
CHEEKS = (234, 454)  # widest points of the face oval
CHEEK_SKIN = (50, 280, 151)  # left cheek, right cheek, forehead: where skin colour is sampled
