"""The annual disclosure report (政府信息公开工作年度报告) in the 2021 template, as pure computations.

``template`` (sections, tables, rows, columns), ``figures`` (parsing and summing tables),
``requests_table`` (table 三 from requests, with carry-over), ``checks`` (the template's sums),
``grid`` (the cell layout every output and the import share), ``document`` (the JSON document and
its sha256), ``xlsx``, ``docx``, ``importing`` (tables 二 and 四 from CSV/XLSX) and ``deadlines``
(who publishes by when).
"""
