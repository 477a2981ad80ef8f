"""Reports: plan and run report notebooks, build their sections and charts, write HTML/PDF
and the round index. Reads analyses; never imports the command line or the form."""
