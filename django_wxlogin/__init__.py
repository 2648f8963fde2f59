"""WeChat Mini Program login for Django REST framework."""

__version__ = "0.1.0"
