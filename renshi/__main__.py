from renshi.cli import main

raise SystemExit(main())
