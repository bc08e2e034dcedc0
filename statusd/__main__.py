from statusd.cli import main

raise SystemExit(main())
