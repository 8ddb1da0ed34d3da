"""The Translate page: date-translation models trained here, one per attention type (global
additive / general, local-m, local-p, hard); each output character with the weights it was
decoded with."""
