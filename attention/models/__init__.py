"""The models of Attention Explorer, beside (not inside) the primitives of :mod:`attention`.

Each model module owns its runtime: what a page needs to turn user input into the model's input
lives here with the model, never in ``training/`` (which only trains).

* :mod:`.minilm`    -- all-MiniLM-L6-v2, pretrained (a plain-torch BERT forward through ``attend``);
* :mod:`.seq2seq`   -- the date translators trained here, one per attention type; :mod:`.dates`
                       reads dates (recognizer, calendar validity) for them;
* :mod:`.captioner` -- Show, Attend and Tell on digit strings; :mod:`.digits` turns a canvas or a
                       photo into the captioner's input;
* :mod:`.listener`  -- Listen, Attend and Spell on spoken digits; :mod:`.audio` (log-mel, resampling)
                       and :mod:`.espeak` (offline speech synthesis) feed it;
* :mod:`.variants`  -- the one registry type every trained task lists its variants in;
* :mod:`.replay`    -- how a model's attention formed during training (recorded by training).
"""
