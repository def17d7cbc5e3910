from sopc.cli import main

main()
