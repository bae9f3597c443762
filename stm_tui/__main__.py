from stm_tui.cli import main

main()
