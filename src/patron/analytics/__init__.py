"""Customer analytics computed from transactions: pure numpy/scipy, no models, no views."""
