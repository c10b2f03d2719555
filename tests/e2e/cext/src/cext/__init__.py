from ._speed import add, optimized

__all__ = ["add", "optimized"]
