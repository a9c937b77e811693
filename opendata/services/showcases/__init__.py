"""Reuse showcases (应用成果): submission by anyone, moderation, and the public's reading.

``submission`` checks and stores a submission (awaiting moderation); ``moderation`` lets an
administrator or a publisher of one of the showcase's datasets publish, reject or withdraw it;
``reading`` gives the published showcases (a list, one showcase, a dataset's showcases, a
showcase's datasets and its screenshot) and, to moderators, the others too.
"""
