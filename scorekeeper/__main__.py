from scorekeeper.fastpath import main

main()
