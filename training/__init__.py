"""Training for the app's own small models (run ``python -m training --help``).

The app never trains at run time: it loads the weights these commands write under
``weights/<task>/`` (safetensors + a JSON card).
"""
