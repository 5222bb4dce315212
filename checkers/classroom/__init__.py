"""The class server and its client: students' checker runs reach the teacher live (issue 17).

Layers (import only downwards): protocol (document format, pure) <- store (SQLite gradebook v2)
<- server/dashboard (Starlette app served by uvicorn); client imports protocol only.
"""
