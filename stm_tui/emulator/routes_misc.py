from fastapi import APIRouter

router = APIRouter(prefix="/signingmanager/api/v1")
