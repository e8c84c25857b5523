from mockfiles.cli import main

raise SystemExit(main())
