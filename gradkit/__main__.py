from .cli import main
from .process_exit import finish

finish(main())  # without the interpreter's teardown, once the results are written
