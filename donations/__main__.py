from donations.cli import main

main()
