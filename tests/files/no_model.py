import numpy as np

X = np.zeros(3)
