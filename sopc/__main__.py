from sopc.launch import main

main()
