"""How ``vigie`` is called: the console script (``launcher``), the lean ``notify`` path Icinga
runs for every notification, and the click CLI (``cli`` and its ``cli_*`` command modules),
which parse, call one service and print (``render`` and ``documents`` format the output).
"""
