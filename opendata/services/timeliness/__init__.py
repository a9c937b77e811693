"""Timeliness (栏目不逾期): the board of overdue and due-soon datasets per organisation and tree
(``board``), and the notices publishers get before a dataset falls due (``notices``)."""
