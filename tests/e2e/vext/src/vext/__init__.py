from ._level import avx2

__all__ = ["avx2"]
