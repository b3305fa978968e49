"""A package split as a torch Dataset of (ids int32 [rows*cols], label int64). int32 holds any id
(K <= 65536) in half of int64's memory; the model widens a batch's ids when it reads them."""
import torch
from torch.utils.data import Dataset


class TokenDataset(Dataset):
    def __init__(self, split):
        self.tokens = torch.from_numpy(split.tokens.astype("int32"))
        self.labels = torch.from_numpy(split.labels.astype("int64"))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.tokens[i], self.labels[i]
