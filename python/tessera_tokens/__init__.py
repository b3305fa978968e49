"""Tessera's token datasets and ViT weights in PyTorch (README, "Outgrowing the browser")."""
from .checkpoint import encode_checkpoint, export_weights, read_weights
from .dataset import TokenDataset
from .errors import DataFormatError
from .package import Package, read_package
from .vit import ViT, vit_config

__all__ = ["DataFormatError", "Package", "TokenDataset", "ViT", "encode_checkpoint", "export_weights", "read_package", "read_weights", "vit_config"]
