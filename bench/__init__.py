"""Side-by-side benchmarks of django-wxlogin against DRF, knox and simplejwt (not tests)."""
