"""The Listen page: spoken digit strings read by models trained here (Listen, Attend and Spell)."""
