"""Application services for collections."""
