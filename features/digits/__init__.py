"""The Read digits page: Show, Attend and Tell models trained here read a handwritten digit
string (drawn, uploaded or a generated test image); one attention map per emitted digit."""
